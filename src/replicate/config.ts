// Pure validation of the [replicator] table: where releases live on every web server and how
// this host reaches them over ssh. (Until grants exist, the table itself makes a host the
// replicator; a grant check belongs where the table is read.)
import { isAbsolute, resolve } from "node:path";
import type { ServerName } from "../core/types.ts";
import { isTable, join, type Fields, type Table } from "../core/fields.ts";

const P = "replicator";
/** Paths go into remote shell commands and rsync arguments: plain characters only. */
const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;
const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
const SAFE_HOST = /^[A-Za-z0-9.:-]+$/;

export interface ReplicatorConfig {
  /** Directory on every web server holding releases/<id>/ and the `current` link. */
  root: string;
  user: string;
  port: number;
  identityFile?: string;
  knownHostsFile?: string;
  /** Releases kept on every server (the current one included) for `walrus rollback`. */
  keepReleases: number;
  /** Limit on each ssh or rsync step against one server. */
  timeoutMs: number;
  /** Tries per server and step before giving up on it, with doubling delays. */
  attempts: number;
  /** How often the node checks for servers reporting another release than the current one (0: never). */
  resyncMs: number;
  /** ssh host of each web server: [replicator.hosts], else the server's first address. */
  hosts: ReadonlyMap<ServerName, string>;
}

export function validateReplicator(f: Fields, t: Table, servers: readonly { name: ServerName; addresses: string[] }[], baseDir: string): ReplicatorConfig {
  f.known(t, P, ["root", "user", "port", "identity_file", "known_hosts_file", "keep_releases", "timeout_ms", "attempts", "resync_ms", "hosts"]);
  const path = (key: string, v: string) => {
    const abs = resolve(baseDir, v);
    if (!SAFE_PATH.test(abs)) f.fail(join(P, key), v, "a path of letters, digits and . _ / + - only");
    return abs;
  };
  const root = f.string(t, P, "root", { expected: 'an absolute directory path on the web servers, such as "/srv/www/site"' });
  if (root && (!isAbsolute(root) || !SAFE_PATH.test(root) || root === "/"))
    f.fail(`${P}.root`, root, "an absolute directory below / of letters, digits and . _ / + - only");
  const config: ReplicatorConfig = {
    root: root.replace(/\/+$/, ""),
    user: f.string(t, P, "user", { default: "walrus", pattern: SAFE_WORD, expected: "a user name" }),
    port: f.number(t, P, "port", { default: 22, min: 1, max: 65535, integer: true }),
    keepReleases: f.number(t, P, "keep_releases", {
      default: 5,
      min: 2,
      max: 100,
      integer: true,
      unit: "releases (the current one and at least one to roll back to)",
    }),
    timeoutMs: f.number(t, P, "timeout_ms", { default: 600_000, min: 1000, max: 86_400_000, integer: true, unit: "ms" }),
    attempts: f.number(t, P, "attempts", { default: 3, min: 1, max: 20, integer: true }),
    resyncMs: f.number(t, P, "resync_ms", { default: 5000, min: 0, max: 3_600_000, integer: true, unit: "ms (0: no resync)" }),
    hosts: new Map(),
  };
  if (t.identity_file !== undefined) config.identityFile = path("identity_file", f.string(t, P, "identity_file"));
  if (t.known_hosts_file !== undefined) config.knownHostsFile = path("known_hosts_file", f.string(t, P, "known_hosts_file"));
  const hostsT = t.hosts === undefined ? {} : isTable(t.hosts) ? t.hosts : (f.fail(`${P}.hosts`, t.hosts, "a table of server = ssh host"), {});
  const hosts = new Map<ServerName, string>();
  for (const s of servers) {
    const given = hostsT[s.name];
    if (given !== undefined && (typeof given !== "string" || !SAFE_HOST.test(given))) f.fail(join(`${P}.hosts`, s.name), given, "a host name or address");
    hosts.set(s.name, typeof given === "string" ? given : (s.addresses[0] ?? ""));
  }
  for (const k of Object.keys(hostsT))
    if (!servers.some((s) => s.name === k))
      f.fail(join(`${P}.hosts`, k), hostsT[k], `one of the servers in [site.servers]: ${servers.map((s) => s.name).join(", ")}`);
  config.hosts = hosts;
  return config;
}
