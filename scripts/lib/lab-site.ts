// The demo site spread over network namespaces: every area node, every web server (with its
// reporter) and a client on a host of its own, so faults can be put between hosts with
// nftables (partitions, loss) and with signals (kill -9, SIGSTOP). Needs root.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { signGrant } from "../../src/authority/grant.ts";
import { operatorSigner } from "../../src/authority/operator-key.ts";
import { serverName, type GrantedRoles } from "../../src/core/types.ts";
import { newIdentityKey, peerIdOfKey } from "../../src/net/peer-keys.ts";
import type { StatusReport } from "../../src/ops/status.ts";
import { BUN, ROOT, startProc, walrus, WALRUS, writeSite, type Proc, type SiteLayout } from "./demo-site.ts";
import { createLab, type Lab } from "./netns.ts";

const FAULT_TABLE = "walrus_fault";

export interface LabSite {
  lab: Lab;
  site: SiteLayout;
  procs: Map<string, Proc>;
  /** A records of the balanced name (or `name`) from an area's nameserver, asked from the client
   * host; `extra`: more dig options (such as `+subnet=…`). */
  answer(area: string, o?: { name?: string; extra?: string[] }): Promise<string[]>;
  status(node: string): Promise<StatusReport>;
  startNode(name: string): Proc;
  startWeb(server: string): Proc;
  /** With `extraServer`: the 7th web host (its namespace made at the start, nothing run there
   * yet): granted a reporter by the operator key, its node file on the [site] of `siteFile`
   * (which lists it), its web server and reporter node started now. `register`: `siteFile` does
   * not list it; its [reporter] registers it in east by itself (register_area, register_addresses). */
  startExtra(siteFile: string, o?: { register?: boolean }): Promise<SiteLayout["servers"][number]>;
  /** Cuts every host in `side` off from every host outside it (the client reaches both). */
  partition(side: string[]): Promise<void>;
  /** Drops `percent` % of packets arriving at every host but the client. */
  loss(percent: number): Promise<void>;
  heal(): Promise<void>;
  stop(): Promise<void>;
}

export const EXTRA_SERVER = "web-east-3";

/** `areaToml`: tables appended to every area node's config (such as `[learn]`); `extraServer`: a
 * host for a 7th web server, started only by `startExtra`; `workers`: each area node's
 * `[nameserver] workers` (DNS worker processes answering UDP). */
export async function startLabSite(o: {
  prefix: string;
  subnet: string;
  grants?: boolean;
  areaToml?: string;
  extraServer?: boolean;
  workers?: number;
}): Promise<LabSite> {
  const dir = mkdtempSync(join(tmpdir(), `walrus-${o.prefix}-`));
  const areas = ["east", "west", "north"];
  const servers = areas.flatMap((a) => [`web-${a}-1`, `web-${a}-2`]);
  const extra = o.extraServer ? [EXTRA_SERVER] : [];
  const lab = await createLab({ prefix: o.prefix, subnet: o.subnet, hosts: ["client", ...areas, ...servers, ...extra] });
  const site = writeSite({ dir, basePort: 7900, areas, addressOf: (node) => lab.address(node), grants: o.grants });
  if (o.areaToml) for (const a of site.areas) appendFileSync(a.config, `\n${o.areaToml}\n`);
  if (o.workers !== undefined)
    for (const a of site.areas) writeFileSync(a.config, readFileSync(a.config, "utf8").replace("[nameserver]\n", `[nameserver]\nworkers = ${o.workers}\n`));
  const procs = new Map<string, Proc>();
  const inHost = (host: string, cmd: string[]) => ["ip", "netns", "exec", lab.ns(host), ...cmd];
  const nodeConfig = (name: string) => (site.areas.find((a) => a.name === name) ?? site.servers.find((s) => s.name === name))?.config as string;

  const ls: LabSite = {
    lab,
    site,
    procs,
    async answer(area, o = {}) {
      const a = site.areas.find((x) => x.name === area);
      if (!a) throw new Error(`no area ${area}`);
      const name = o.name ?? `www.${site.zone}`;
      const r = await lab.run("client", ["dig", `@${a.host}`, "-p", String(a.dnsPort), name, "A", "+short", "+time=2", "+tries=3", ...(o.extra ?? [])], {
        timeoutMs: 15_000,
      });
      if (r.code !== 0) throw new Error(`dig from the client to ${area}'s nameserver: no reply (exit ${r.code})`);
      return r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l))
        .sort();
    },
    async status(node) {
      const r = await walrus(["status", "--json", "--config", nodeConfig(node)]);
      if (r.code !== 0) throw new Error(`walrus status on ${node}: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as StatusReport;
    },
    startNode(name) {
      const p = startProc(name, inHost(name, [WALRUS, "node", "--config", nodeConfig(name)]));
      procs.set(name, p);
      return p;
    },
    async startExtra(siteFile, o = {}) {
      const first = site.servers[0] as SiteLayout["servers"][number];
      const s = {
        ...first,
        name: EXTRA_SERVER,
        area: "east",
        host: lab.address(EXTRA_SERVER),
        config: join(dir, `${EXTRA_SERVER}.toml`),
        stateDir: join(dir, "state", EXTRA_SERVER),
      };
      site.servers.push(s);
      const base = parse(readFileSync(first.config, "utf8")) as Record<string, Record<string, unknown>>;
      const node = {
        ...base.node,
        name: s.name,
        state_dir: s.stateDir,
        listen: [`/ip4/${s.host}/tcp/${s.p2pPort}`],
        grants_file: writeGrant(dir, site.operatorKey, s.name, s.stateDir, { reporter: { servers: [serverName(s.name)] } }),
      };
      const table = (parse(readFileSync(siteFile, "utf8")) as { site: Record<string, unknown> }).site;
      const cfg = {
        node,
        reporter: {
          ...base.reporter,
          server: s.name,
          status_url: `http://${s.host}:${s.webPort}/server-status?auto`,
          ...(o.register && { register_area: s.area, register_addresses: [s.host] }),
        },
        site: { ...table, secret_file: (base.site as Record<string, unknown>).secret_file },
      };
      writeFileSync(s.config, stringify(cfg));
      await ls.startWeb(s.name).waitFor(/listening/);
      ls.startNode(s.name);
      return s;
    },
    startWeb(server) {
      const s = site.servers.find((x) => x.name === server);
      if (!s) throw new Error(`no server ${server}`);
      const p = startProc(
        `web:${server}`,
        inHost(server, [BUN, join(ROOT, "scripts/demo-web.ts"), "--name", s.name, "--host", s.host, "--port", String(s.webPort)]),
      );
      procs.set(`web:${server}`, p);
      return p;
    },
    async partition(side) {
      const inside = new Set(side);
      const hosts = [...areas, ...servers, ...extra];
      for (const h of hosts) {
        const others = hosts.filter((x) => inside.has(x) !== inside.has(h)).map((x) => lab.address(x));
        const set = `{ ${others.join(", ")} }`;
        await lab.nft(
          h,
          `table inet ${FAULT_TABLE} {\n chain input { type filter hook input priority 0;\n ip saddr ${set} drop\n }\n chain output { type filter hook output priority 0;\n ip daddr ${set} drop\n }\n}\n`,
        );
      }
    },
    async loss(percent) {
      for (const h of [...areas, ...servers, ...extra])
        await lab.nft(h, `table inet ${FAULT_TABLE} {\n chain input { type filter hook input priority 0;\n numgen random mod 100 < ${percent} drop\n }\n}\n`);
    },
    async heal() {
      for (const h of [...areas, ...servers, ...extra]) await lab.run(h, ["nft", "delete", "table", "inet", FAULT_TABLE]);
    },
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const s of servers) ls.startWeb(s);
    await Promise.all(servers.map((s) => procs.get(`web:${s}`)?.waitFor(/listening/)));
    for (const n of [...areas, ...servers]) ls.startNode(n);
  } catch (err) {
    await ls.stop();
    throw err;
  }
  return ls;
}

/** As an operator adds a host: its identity made before its first start, a grant for exactly its
 * roles signed by the site's operator key. Returns the grants file. */
function writeGrant(dir: string, operatorKey: string | undefined, name: string, stateDir: string, roles: GrantedRoles): string {
  if (!operatorKey) throw new Error("the lab site runs without grants: no operator key to grant a new host with");
  mkdirSync(stateDir, { recursive: true });
  const identity = newIdentityKey();
  writeFileSync(join(stateDir, "identity.key"), identity, { mode: 0o600 });
  const now = Date.now();
  const grant = signGrant(
    { id: `lab-${name}`, peer: peerIdOfKey(identity), node: name, roles, issuedAtMs: now, expiresAtMs: now + 86_400_000 },
    operatorSigner(readFileSync(operatorKey, "utf8")),
  );
  const file = join(dir, `${name}.grants`);
  writeFileSync(file, `${JSON.stringify(grant)}\n`);
  return file;
}
