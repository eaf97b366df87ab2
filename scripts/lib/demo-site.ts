// A whole walrus site on loopback, as separate processes: one fake web server and one
// reporter node per server, and one controller+nameserver node per area. Used by the demo,
// the integration tests and the failover benchmark, so all three run the same thing.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawn, type Subprocess } from "bun";
import { signGrant } from "../../src/authority/grant.ts";
import { newOperatorKey, operatorSigner } from "../../src/authority/operator-key.ts";
import { areaName, serverName, type GrantedRoles } from "../../src/core/types.ts";
import { newIdentityKey, peerIdOfKey } from "../../src/net/peer-keys.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const WALRUS = process.env.WALRUS_BIN ?? join(ROOT, "dist/walrus");
export const BUN = process.execPath;

export interface SiteLayout {
  dir: string;
  zone: string;
  /** The site's operator key (private, PEM) when the site runs with grants. */
  operatorKey?: string;
  areas: { name: string; host: string; dnsPort: number; p2pPort: number; config: string; stateDir: string; priority: number }[];
  servers: { name: string; area: string; host: string; webPort: number; p2pPort: number; config: string; stateDir: string }[];
}

export interface SiteOptions {
  dir: string;
  areas?: string[];
  serversPerArea?: number;
  /** First of a run of ports: libp2p, DNS and web ports are taken from here upwards. */
  basePort: number;
  /** Loopback third octet for the web servers' addresses: 127.0.<octet>.N. */
  octet?: number;
  reportIntervalMs?: number;
  /** Where each node lives (a namespace's address); default: loopback. */
  addressOf?: (node: string) => string;
  /** With an operator key and a grant per node, as a production site runs (the default); false:
   * an open site, for a test about the open mode. */
  grants?: boolean;
  /** Releases pushed by the replicator: each server's directory (its reporter reads the release
   * served from it), the area node granted the replicator role, and the site's grace. */
  releases?: { rootOf: (server: string) => string; replicator: string; contentGraceMs: number };
}

export function writeSite(o: SiteOptions): SiteLayout {
  const areaNames = o.areas ?? ["east", "west", "north"];
  const per = o.serversPerArea ?? 2;
  const octet = o.octet ?? 0;
  mkdirSync(o.dir, { recursive: true });
  const secretFile = join(o.dir, "site.secret");
  writeFileSync(secretFile, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const webPort = o.basePort + 100;
  const layout: SiteLayout = { dir: o.dir, zone: "demo.test", areas: [], servers: [] };
  areaNames.forEach((name, i) => {
    layout.areas.push({
      name,
      host: o.addressOf?.(name) ?? "127.0.0.1",
      dnsPort: o.basePort + 50 + i,
      p2pPort: o.basePort + i,
      config: join(o.dir, `${name}.toml`),
      stateDir: join(o.dir, "state", name),
      priority: 10 * (i + 1),
    });
    for (let k = 1; k <= per; k++) {
      const n = layout.servers.length;
      layout.servers.push({
        name: `web-${name}-${k}`,
        area: name,
        host: o.addressOf?.(`web-${name}-${k}`) ?? `127.0.${octet}.${10 * (i + 1) + k}`,
        webPort,
        p2pPort: o.basePort + 10 + n,
        config: join(o.dir, `web-${name}-${k}.toml`),
        stateDir: join(o.dir, "state", `web-${name}-${k}`),
      });
    }
  });

  const siteToml = [
    "[site]",
    `zone = "${layout.zone}"`,
    'names = ["www"]',
    "ttl_seconds = 5",
    "load_threshold = 0.8",
    "balance_margin = 0.2",
    "# Every demo web server shares this one host, so host figures would say nothing about",
    "# any one of them: the load figure uses the web server's own worker count only.",
    'load_terms = ["workers"]',
    `report_interval_ms = ${o.reportIntervalMs ?? 1000}`,
    ...(o.releases ? [`content_grace_ms = ${o.releases.contentGraceMs}`] : []),
    "round_interval_ms = 1000",
    "heartbeat_interval_ms = 500",
    `secret_file = "${secretFile}"`,
    "",
    ...layout.areas.flatMap((a) => [`[site.areas.${a.name}]`, `nameserver = "ns-${a.name}"`, `nameserver_addresses = ["${a.host}"]`, ""]),
    ...layout.servers.flatMap((s) => [`[site.servers.${s.name}]`, `area = "${s.area}"`, `addresses = ["${s.host}"]`, ""]),
  ].join("\n");

  // As an operator would: one operator key, each node's identity made before its first start
  // (`walrus id`), and a grant per node for exactly its roles (`walrus grant`).
  const operator = o.grants === false ? undefined : newOperatorKey();
  if (operator) {
    layout.operatorKey = join(o.dir, "operator.key");
    writeFileSync(layout.operatorKey, operator.privateKeyPem, { mode: 0o600 });
  }
  const signer = operator && operatorSigner(operator.privateKeyPem);
  const grantLines = (name: string, stateDir: string, roles: GrantedRoles): string[] => {
    if (!signer || !operator) return [];
    mkdirSync(stateDir, { recursive: true });
    const identity = newIdentityKey();
    writeFileSync(join(stateDir, "identity.key"), identity, { mode: 0o600 });
    const now = Date.now();
    const grant = signGrant(
      { id: `demo-${name}`, peer: peerIdOfKey(identity), node: name, roles, issuedAtMs: now, expiresAtMs: now + 30 * 86_400_000 },
      signer,
    );
    const file = join(o.dir, `${name}.grants`);
    writeFileSync(file, `${JSON.stringify(grant)}\n`);
    return [`operator_keys = ["${operator.publicKey}"]`, `grants_file = "${file}"`];
  };

  const areaAddrs = layout.areas.map((a) => `/ip4/${a.host}/tcp/${a.p2pPort}`);
  const nodeToml = (name: string, stateDir: string, host: string, port: number, roles: GrantedRoles) => {
    const own = `/ip4/${host}/tcp/${port}`;
    const peers = areaAddrs.filter((a) => a !== own);
    return [
      "[node]",
      `name = "${name}"`,
      `state_dir = "${stateDir}"`,
      `listen = ["${own}"]`,
      `bootstrap = [${peers.map((p) => `"${p}"`).join(", ")}]`,
      ...grantLines(name, stateDir, roles),
      "",
    ].join("\n");
  };
  for (const a of layout.areas) {
    const roles = {
      controller: { priority: a.priority },
      nameserver: { areas: [areaName(a.name)] },
      drain: true,
      ...(o.releases?.replicator === a.name && { replicator: true }),
    };
    writeFileSync(
      a.config,
      [
        nodeToml(a.name, a.stateDir, a.host, a.p2pPort, roles),
        "[controller]",
        `priority = ${a.priority}`,
        "",
        "[nameserver]",
        `area = "${a.name}"`,
        `listen = ["${a.host}:${a.dnsPort}"]`,
        "",
        siteToml,
      ].join("\n"),
    );
  }
  for (const s of layout.servers) {
    writeFileSync(
      s.config,
      [
        nodeToml(s.name, s.stateDir, s.host, s.p2pPort, { reporter: { servers: [serverName(s.name)] } }),
        "[reporter]",
        `server = "${s.name}"`,
        `status_url = "http://${s.host}:${s.webPort}/server-status?auto"`,
        "timeout_ms = 500",
        ...(o.releases ? [`release_root = "${o.releases.rootOf(s.name)}"`] : []),
        "",
        siteToml,
      ].join("\n"),
    );
  }
  return layout;
}

export interface Proc {
  name: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Starts a process, keeping its combined output (bounded) for waiting and for failure reports. */
export function startProc(name: string, cmd: string[], logFile?: string): Proc {
  const proc = spawn(cmd, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, WALRUS_LOG_LEVEL: process.env.WALRUS_LOG_LEVEL ?? "info" },
  });
  let out = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      const text = dec.decode(chunk, { stream: true });
      out = (out + text).slice(-200_000);
      if (logFile) await Bun.write(logFile, out);
      for (const w of [...waiters]) {
        if (w.re.test(out)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return {
    name,
    proc,
    output: () => out,
    waitFor(re, timeoutMs = 15_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${name}: no ${re} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    async kill(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await proc.exited;
    },
  };
}

/** Starts a demo web server; with `root`, it serves the release `<root>/current` once there is one. */
export function startWeb(s: SiteLayout["servers"][number], root?: string): Proc {
  const args = ["--name", s.name, "--host", s.host, "--port", String(s.webPort), ...(root ? ["--root", root] : [])];
  return startProc(`web:${s.name}`, [BUN, join(ROOT, "scripts/demo-web.ts"), ...args]);
}

export function startNode(name: string, config: string, logFile?: string): Proc {
  return startProc(name, [WALRUS, "node", "--config", config], logFile);
}

/** Runs `dig` and returns the A records of the answer, in order; throws when no reply came
 * (so a check like "the server is gone from the answer" never passes on a timeout). */
export async function digA(port: number, name: string, extra: string[] = [], host = "127.0.0.1"): Promise<string[]> {
  const p = spawn(["dig", `@${host}`, "-p", String(port), name, "A", "+short", "+time=2", "+tries=2", ...extra], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(p.stdout).text();
  const code = await p.exited;
  if (code !== 0) throw new Error(`dig @${host} -p ${port} ${name}: no reply (exit ${code}): ${text.trim()}`);
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
}

export async function walrus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = spawn([WALRUS, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, stdout, stderr };
}

/** Polls `check` until it returns true (a throw counts as not yet), or throws after timeoutMs. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 100): Promise<number> {
  const start = performance.now();
  let last = "";
  while (performance.now() - start < timeoutMs) {
    try {
      if (await check()) return performance.now() - start;
    } catch (err) {
      last = `; last error: ${(err as Error).message}`;
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
}

export async function setBusy(s: SiteLayout["servers"][number], busy: number): Promise<void> {
  const r = await fetch(`http://${s.host}:${s.webPort}/demo/load?busy=${busy}`, { method: "POST" });
  if (!r.ok) throw new Error(`${s.name}: setting load answered ${r.status}`);
}

/**
 * One area ("east") and its nameserver node on loopback, for tests and scripts that need a real
 * `walrus node` answering DNS: writes the secret and node.toml into `dir`, returns the config path.
 * `nameserver` and `site` are extra TOML lines for those tables (site lines before the areas).
 */
export function writeSingleNameserver(o: { dir: string; p2pPort: number; dns: string; nameserver?: string[]; site?: string[]; servers: string[][] }): string {
  const secret = join(o.dir, "site.secret");
  writeFileSync(secret, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const config = join(o.dir, "node.toml");
  writeFileSync(
    config,
    [
      "[node]",
      'name = "east"',
      `state_dir = "${join(o.dir, "state")}"`,
      `listen = ["/ip4/127.0.0.1/tcp/${o.p2pPort}"]`,
      "[nameserver]",
      'area = "east"',
      `listen = ["${o.dns}"]`,
      ...(o.nameserver ?? []),
      "[site]",
      'zone = "example.test"',
      'names = ["www"]',
      `secret_file = "${secret}"`,
      ...(o.site ?? []),
      "[site.areas.east]",
      'nameserver = "ns-east"',
      'nameserver_addresses = ["127.0.0.1"]',
      ...o.servers.flatMap((addresses, i) => [`[site.servers.web-${i + 1}]`, 'area = "east"', `addresses = [${addresses.map((a) => `"${a}"`).join(", ")}]`]),
    ].join("\n"),
  );
  return config;
}
