// A lab for the Director: in network namespaces, two walrus nodes (controller, reporter and
// director each; east has the lower priority, so it is master), two stand-in web servers,
// Debian's BIND 9, Knot and PowerDNS (sqlite3) holding the thesis §8.2 area zones (BIND also the
// site zone, its www a CNAME to east's own name), and unbound resolving through BIND. A third
// backend entry points at BIND with a key BIND does not know. Used by
// test/integration/director.test.ts and scripts/bench-director.ts. Needs root.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StatusReport } from "../../src/ops/status.ts";
import { BUN, ROOT, startProc, walrus, WALRUS, type Proc } from "./demo-site.ts";
import { createLab, type Lab } from "./netns.ts";

export const AREAS = ["east", "west"] as const;
export const ZONE = "demo.test";
export const areaZone = (a: string) => `area-${a}.${ZONE}`;
export const DIRECTOR_TOOLS = ["named", "knotd", "pdns_server", "pdnsutil", "sqlite3", "unbound", "dig", "tsig-keygen", "ip"];
export const PDNS_SCHEMA = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql";
export const WEB_PORT = 8080;
export const METRICS_PORT = 9464;

export interface DirectorLab {
  lab: Lab;
  dir: string;
  procs: Map<string, Proc>;
  addr(host: string): string;
  startWeb(area: string): Proc;
  startNode(area: string): Proc;
  startKnot(): Proc;
  /** A records of a name from a server in the lab, sorted; throws when no reply came. */
  dig(server: string, name: string): Promise<string[]>;
  /** Whether a backend holds exactly these addresses at the area's own name. */
  holds(server: string, area: string, want: readonly string[]): Promise<boolean>;
  status(node: string): Promise<StatusReport>;
  stop(): Promise<void>;
}

/** `nameservers`: the walrus nodes also answer the site zone themselves (a peer to compare with). */
export async function startDirectorLab(o: { prefix: string; subnet: string; nameservers?: boolean }): Promise<DirectorLab> {
  const procs = new Map<string, Proc>();
  const dir = mkdtempSync(join(tmpdir(), `walrus-${o.prefix}-`));
  const lab = await createLab({
    prefix: o.prefix,
    subnet: o.subnet,
    hosts: ["client", "bind", "knot", "pdns", "unbound", ...AREAS, ...AREAS.map((a) => `web-${a}`)],
  });
  const addr = (h: string) => lab.address(h);
  const start = (name: string, host: string, cmd: string[]) =>
    procs.set(name, startProc(name, ["ip", "netns", "exec", lab.ns(host), ...cmd])).get(name) as Proc;
  const key = Bun.spawnSync(["tsig-keygen", "-a", "hmac-sha256", "walrus"]).stdout.toString();
  writeFileSync(join(dir, "walrus.key"), key, { mode: 0o600 });
  // Same name, another secret: BIND refuses it (BADSIG).
  writeFileSync(join(dir, "wrong.key"), Bun.spawnSync(["tsig-keygen", "-a", "hmac-sha256", "walrus"]).stdout.toString(), { mode: 0o600 });
  const secret = /secret "([^"]+)"/.exec(key)?.[1] as string;

  // Zones as an operator starts them: the area zones empty but for SOA and NS; BIND also
  // holds the site zone with the balanced name a CNAME to east's own name (east's view).
  for (const z of AREAS.map(areaZone)) {
    writeFileSync(join(dir, `${z}.zone`), `$ORIGIN ${z}.\n$TTL 1\n@ SOA ns.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 1\n@ NS ns.${ZONE}.\n`);
  }
  writeFileSync(
    join(dir, `${ZONE}.zone`),
    `$ORIGIN ${ZONE}.\n$TTL 1\n@ SOA ns hostmaster 1 3600 600 86400 1\n@ NS ns\nns A ${addr("bind")}\nwww CNAME www.${areaZone("east")}.\n`,
  );
  writeFileSync(
    join(dir, "named.conf"),
    `
${key}
${namedOptions(dir, addr("bind"))}
zone "${ZONE}" { type primary; file "${join(dir, `${ZONE}.zone`)}"; };
${AREAS.map((a) => `zone "${areaZone(a)}" { type primary; file "${join(dir, `${areaZone(a)}.zone`)}"; allow-update { key "walrus"; }; };`).join("\n")}
`,
  );
  writeKnotConf(dir, addr("knot"), [
    "key:",
    "  - id: walrus",
    "    algorithm: hmac-sha256",
    `    secret: ${secret}`,
    "acl:",
    "  - id: walrus",
    "    key: walrus",
    "    action: update",
    "zone:",
    ...AREAS.flatMap((a) => [
      `  - domain: ${areaZone(a)}`,
      `    file: ${join(dir, `${areaZone(a)}.zone`)}`,
      `    storage: ${join(dir, "knot-zones")}`,
      "    acl: walrus",
      "    zonefile-sync: -1",
      "    zonefile-load: difference-no-serial",
      "    journal-content: all",
    ]),
  ]);
  // PowerDNS: zones and key in its sqlite3 database, updates allowed by key per zone.
  writeFileSync(
    join(dir, "pdns.conf"),
    [
      "launch=gsqlite3",
      `gsqlite3-database=${join(dir, "pdns.sqlite3")}`,
      `local-address=${addr("pdns")}`,
      "local-port=53",
      "dnsupdate=yes",
      `allow-dnsupdate-from=${o.subnet}.0/24`,
      `socket-dir=${dir}`,
      "guardian=no",
      "daemon=no",
      "disable-syslog=yes",
      "",
    ].join("\n"),
  );
  const sqlite = Bun.spawnSync(["sqlite3", join(dir, "pdns.sqlite3")], { stdin: Bun.file(PDNS_SCHEMA) });
  if (sqlite.exitCode !== 0) throw new Error(`sqlite3: ${sqlite.stderr.toString()}`);
  const pdnsutil = (...args: string[]) => {
    const r = Bun.spawnSync(["pdnsutil", `--config-dir=${dir}`, ...args], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`pdnsutil ${args.join(" ")}: ${r.stderr.toString()}`);
  };
  pdnsutil("import-tsig-key", "walrus", "hmac-sha256", secret);
  for (const a of AREAS) {
    pdnsutil("create-zone", areaZone(a), `ns.${ZONE}`);
    pdnsutil("set-meta", areaZone(a), "TSIG-ALLOW-DNSUPDATE", "walrus");
  }
  writeFileSync(
    join(dir, "unbound.conf"),
    [
      "server:",
      `  interface: ${addr("unbound")}`,
      `  access-control: ${o.subnet}.0/24 allow`,
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      `  pidfile: "${join(dir, "unbound.pid")}"`,
      "  use-syslog: no",
      '  module-config: "iterator"',
      `  local-zone: "test." nodefault`,
      "stub-zone:",
      `  name: "${ZONE}."`,
      `  stub-addr: ${addr("bind")}`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "notices"), "");

  const backends = [
    ["bind", addr("bind"), "walrus.key"],
    ["knot", addr("knot"), "walrus.key"],
    ["pdns", addr("pdns"), "walrus.key"],
    ["bind-wrong-key", addr("bind"), "wrong.key"],
  ].flatMap(([name, host, file]) => ["[[director.backends]]", `name = "${name}"`, `server = "${host}:53"`, `key_file = "${join(dir, file as string)}"`]);
  AREAS.forEach((a, i) => {
    const roles = [
      "[controller]",
      `priority = ${10 * (i + 1)}`,
      `[metrics]\nlisten = "${addr(a)}:${METRICS_PORT}"`,
      ...(o.nameservers ? ["[nameserver]", `area = "${a}"`, `listen = ["${addr(a)}:53"]`] : []),
      "[notify]",
      `command = "echo \\"$WALRUS_EVENT $WALRUS_SERVER\\" >> ${join(dir, "notices")}"`,
      "[director]",
      ...backends,
    ];
    writeFileSync(join(dir, `${a}.toml`), labNodeToml(dir, a, addr, roles));
  });

  const d: DirectorLab = {
    lab,
    dir,
    procs,
    addr,
    startWeb: (a) =>
      start(`web-${a}`, `web-${a}`, [BUN, join(ROOT, "scripts/demo-web.ts"), "--name", `web-${a}`, "--host", addr(`web-${a}`), "--port", String(WEB_PORT)]),
    startNode: (a) => start(a, a, [WALRUS, "node", "--config", join(dir, `${a}.toml`)]),
    startKnot: () => start("knot", "knot", ["knotd", "-c", join(dir, "knot.conf")]),
    async dig(server, name) {
      const r = await lab.run("client", ["dig", `@${addr(server)}`, name, "A", "+short", "+time=2", "+tries=1"], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`dig @${server} ${name}: no reply (exit ${r.code})`);
      return r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l))
        .sort();
    },
    holds: async (server, area, want) => JSON.stringify(await d.dig(server, `www.${areaZone(area)}`)) === JSON.stringify([...want].sort()),
    status: async (node) => JSON.parse((await walrus(["status", "--json", "--config", join(dir, `${node}.toml`)])).stdout) as StatusReport,
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.kill()));
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    start("named", "bind", ["named", "-f", "-4", "-c", join(dir, "named.conf")]);
    d.startKnot();
    start("pdns", "pdns", ["pdns_server", `--config-dir=${dir}`]);
    start("unbound", "unbound", ["unbound", "-d", "-c", join(dir, "unbound.conf")]);
    for (const a of AREAS) d.startWeb(a);
    for (const a of AREAS) d.startNode(a);
    await Promise.all(AREAS.map((a) => procs.get(a)?.waitFor(/directing backends/)));
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}

/** named.conf options for an authoritative-only BIND in a lab host, its files under `dir`. */
export function namedOptions(dir: string, address: string): string {
  return `options {
  directory "${dir}";
  pid-file "${join(dir, "named.pid")}";
  session-keyfile "${join(dir, "session.key")}";
  managed-keys-directory "${dir}";
  listen-on port 53 { ${address}; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};`;
}

/** A two-area lab node's config: [node], the reporter of its area's web server, `roles`, [site]. */
export function labNodeToml(dir: string, area: string, addr: (host: string) => string, roles: readonly string[]): string {
  const peers = AREAS.filter((x) => x !== area).map((x) => `"/ip4/${addr(x)}/tcp/7946"`);
  return [
    "[node]",
    `name = "${area}"`,
    `state_dir = "${join(dir, area)}"`,
    `listen = ["/ip4/${addr(area)}/tcp/7946"]`,
    `bootstrap = [${peers.join(", ")}]`,
    "[reporter]",
    `server = "web-${area}"`,
    `status_url = "http://${addr(`web-${area}`)}:${WEB_PORT}/server-status?auto"`,
    "timeout_ms = 500",
    ...roles,
    "[site]",
    `zone = "${ZONE}"`,
    'names = ["www"]',
    "ttl_seconds = 1",
    'load_terms = ["workers"]',
    `secret_file = "${join(dir, "site.secret")}"`,
    ...AREAS.flatMap((a) => [
      `[site.areas.${a}]`,
      `nameserver_addresses = ["${addr(a)}"]`,
      `[site.servers.web-${a}]`,
      `area = "${a}"`,
      `addresses = ["${addr(`web-${a}`)}"]`,
    ]),
  ].join("\n");
}

/** Writes `dir`/knot.conf: a Knot listening on `address`, logging to stderr, its database and
 * zones under `dir` (knot-db, knot-zones), then the given sections. */
export function writeKnotConf(dir: string, address: string, sections: readonly string[]): void {
  for (const sub of ["knot-db", "knot-zones"]) mkdirSync(join(dir, sub), { recursive: true });
  const head = [
    "server:",
    `  listen: ${address}@53`,
    `  rundir: ${dir}`,
    "log:",
    "  - target: stderr",
    "    any: info",
    "database:",
    `  storage: ${join(dir, "knot-db")}`,
  ];
  writeFileSync(join(dir, "knot.conf"), [...head, ...sections, ""].join("\n"));
}
