// Pure validation of the [replicator] table: where releases live on every web server and how
// this host reaches them over ssh. (Until grants exist, the table itself makes a host the
// replicator; a grant check belongs where the table is read.)
import { isAbsolute, resolve } from "node:path";
import type { ServerName } from "../core/types.ts";
import { isTable, join, type Fields, type Table } from "../core/fields.ts";

const P = "replicator";
/** Paths go into remote shell commands and rsync arguments: plain characters only. */
export const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;
const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
const SAFE_HOST = /^[A-Za-z0-9.:-]+$/;

export interface ReplicatorConfig {
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
  /** Directory on each web server holding releases/<id>/ and the `current` link: [replicator.roots], else root. */
  roots: ReadonlyMap<ServerName, string>;
}

const ROOT_EXPECTED = "an absolute directory below / of letters, digits and . _ / + - only";
const isRoot = (v: string) => isAbsolute(v) && SAFE_PATH.test(v) && v.replace(/\/+$/, "") !== "";

export function validateReplicator(f: Fields, t: Table, servers: readonly { name: ServerName; addresses: string[] }[], baseDir: string): ReplicatorConfig {
  f.known(t, P, ["root", "user", "port", "identity_file", "known_hosts_file", "keep_releases", "timeout_ms", "attempts", "resync_ms", "hosts", "roots"]);
  const path = (key: string, v: string) => {
    const abs = resolve(baseDir, v);
    if (!SAFE_PATH.test(abs)) f.fail(join(P, key), v, "a path of letters, digits and . _ / + - only");
    return abs;
  };
  /** A table of server = value ([replicator.hosts], [replicator.roots]): every key a server of the site. */
  const perServer = (key: string, expected: string, ok: (v: string) => boolean): Map<ServerName, string> => {
    const given = t[key] === undefined ? {} : isTable(t[key]) ? t[key] : (f.fail(join(P, key), t[key], `a table of server = ${expected}`), {});
    const out = new Map<ServerName, string>();
    for (const [k, v] of Object.entries(given)) {
      const server = servers.find((s) => s.name === k);
      if (!server) f.fail(join(`${P}.${key}`, k), v, `one of the servers in [site.servers]: ${servers.map((s) => s.name).join(", ")}`);
      else if (typeof v !== "string" || !ok(v)) f.fail(join(`${P}.${key}`, k), v, expected);
      else out.set(server.name, v);
    }
    return out;
  };
  const hostsGiven = perServer("hosts", "a host name or address", (v) => SAFE_HOST.test(v));
  const rootsGiven = perServer("roots", ROOT_EXPECTED, isRoot);
  // root is the default for every server [replicator.roots] leaves out; needed only then.
  const everyRootGiven = servers.length > 0 && servers.every((s) => rootsGiven.has(s.name));
  const root =
    t.root === undefined && everyRootGiven
      ? undefined
      : f.string(t, P, "root", { expected: 'an absolute directory path on the web servers, such as "/srv/www/site"' });
  if (root && !isRoot(root)) f.fail(`${P}.root`, root, ROOT_EXPECTED);
  const trim = (v: string) => v.replace(/\/+$/, "");
  const config: ReplicatorConfig = {
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
    hosts: new Map(servers.map((s) => [s.name, hostsGiven.get(s.name) ?? s.addresses[0] ?? ""])),
    roots: new Map(servers.map((s) => [s.name, trim(rootsGiven.get(s.name) ?? root ?? "")])),
  };
  if (t.identity_file !== undefined) config.identityFile = path("identity_file", f.string(t, P, "identity_file"));
  if (t.known_hosts_file !== undefined) config.knownHostsFile = path("known_hosts_file", f.string(t, P, "known_hosts_file"));
  return config;
}
