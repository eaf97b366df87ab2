// Pure validation of the [reporter] table: the common keys, then the keys of the chosen source.
// A key that belongs to another source is an error, so a half-edited config cannot silently
// measure the wrong thing.
import { isIP } from "node:net";
import { areaName, serverName, type Registration, type ServerName, type Site } from "../core/types.ts";
import type { Fields, Table } from "../core/fields.ts";
import { parseHostPort, type HostPort } from "../core/host-port.ts";

/** Where the reporter learns how the web server is ([reporter] source and its keys). */
export type WebSourceConfig =
  | { kind: "apache"; statusUrl: string; maxWorkers?: number }
  | { kind: "nginx"; statusUrl: string; capacity: number }
  | { kind: "http"; url: string; expectStatus: number; expectBody?: string }
  | { kind: "tcp"; address: HostPort };

export interface ReporterConfig {
  /** The server (a key of [site.servers], or one this node registers) this reporter measures. */
  server: ServerName;
  /** register_area and register_addresses: the server announced for self-registration while the
   * site document does not list it (the document wins once it does). */
  register?: Registration;
  source: WebSourceConfig;
  /** Limit on each probe, and on the bypass command. */
  timeoutMs: number;
  /** Consecutive failed probes before PANIC. */
  fallCount: number;
  /** Consecutive good probes before a PANIC clears. */
  riseCount: number;
  /** After a failed probe, the next one comes this soon, until PANIC or a good probe. */
  fastProbeMs: number;
  /** Run every collection; a non-zero exit or a timeout means BYPASS. */
  bypassCommand?: string;
  /** The replicator's root on this web server: the release served is reported from its `current` link. */
  releaseRoot?: string;
  /** Run every collection: prints the time of the newest change of content walrus does not replicate. */
  contentVersionCommand?: string;
}

const P = "reporter";
const COMMON = [
  "server",
  "register_area",
  "register_addresses",
  "source",
  "timeout_ms",
  "fall_count",
  "rise_count",
  "fast_probe_ms",
  "bypass_command",
  "release_root",
  "content_version_command",
];
const SOURCE_KEYS = {
  apache: ["status_url", "max_workers"],
  nginx: ["status_url", "capacity"],
  http: ["url", "expect_status", "expect_body"],
  tcp: ["address"],
} as const;
type SourceKind = keyof typeof SOURCE_KEYS;
const KINDS = Object.keys(SOURCE_KEYS) as SourceKind[];
const URL_PATTERN = /^https?:\/\/\S+$/;

/** Defaults, and why: see README "Reports". */
export const REPORTER_DEFAULTS = { fallCount: 2, riseCount: 3, timeoutMsMax: 800, fastProbeMs: 100 } as const;

export function validateReporter(f: Fields, t: Table, site: Pick<Site, "areas" | "servers">, reportIntervalMs: number): ReporterConfig {
  const allKeys = [...new Set([...COMMON, ...KINDS.flatMap((k) => SOURCE_KEYS[k])])];
  f.known(t, P, allKeys);
  const server = f.string(t, P, "server");
  const register = validateRegister(f, t, site, server);
  const listed = site.servers.some((s) => s.name === server);
  if (server && !listed && !register)
    f.fail(
      `${P}.server`,
      server,
      `one of the servers in [site.servers] (${site.servers.map((s) => s.name).join(", ")}), or a new one with ${P}.register_area and ${P}.register_addresses (self-registration)`,
    );
  const kind = f.string(t, P, "source", {
    default: "apache",
    pattern: new RegExp(`^(${KINDS.join("|")})$`),
    expected: `one of ${KINDS.map((k) => `"${k}"`).join(", ")}`,
  }) as SourceKind;
  if (KINDS.includes(kind)) {
    for (const key of Object.keys(t)) {
      const owner = KINDS.find((k) => (SOURCE_KEYS[k] as readonly string[]).includes(key));
      if (owner !== undefined && !(SOURCE_KEYS[kind] as readonly string[]).includes(key)) {
        f.fail(`${P}.${key}`, t[key], `no ${key} with source = "${kind}" (it belongs to ${sourcesWith(key)})`);
      }
    }
  }
  const config: ReporterConfig = {
    server: serverName(server),
    ...(register && { register }),
    source: validateSource(f, t, KINDS.includes(kind) ? kind : "apache"),
    // A probe must finish well inside one report interval, or collections would queue up.
    timeoutMs: f.number(t, P, "timeout_ms", {
      default: Math.min(REPORTER_DEFAULTS.timeoutMsMax, reportIntervalMs),
      min: 50,
      max: 60_000,
      integer: true,
      unit: "ms",
    }),
    fallCount: f.number(t, P, "fall_count", { default: REPORTER_DEFAULTS.fallCount, min: 1, max: 100, integer: true }),
    riseCount: f.number(t, P, "rise_count", { default: REPORTER_DEFAULTS.riseCount, min: 1, max: 100, integer: true }),
    // A confirming probe later than the next regular one would confirm nothing sooner.
    fastProbeMs: f.number(t, P, "fast_probe_ms", {
      default: Math.min(REPORTER_DEFAULTS.fastProbeMs, reportIntervalMs),
      min: 10,
      max: reportIntervalMs,
      integer: true,
      unit: "ms",
    }),
  };
  if (t.bypass_command !== undefined) config.bypassCommand = f.string(t, P, "bypass_command", { expected: "a command line run with /bin/sh -c" });
  if (t.release_root !== undefined)
    config.releaseRoot = f.string(t, P, "release_root", { pattern: /^\//, expected: "an absolute path: [replicator] root on this web server" });
  if (t.content_version_command !== undefined)
    config.contentVersionCommand = f.string(t, P, "content_version_command", {
      expected: "a command line run with /bin/sh -c that prints the time of the newest change of the content, in Unix seconds",
    });
  return config;
}

/** The server this node registers by itself: both keys or neither; the area one of the site's (whether
 * it allows self-registration is the site document's to say, judged by every node as it runs). */
function validateRegister(f: Fields, t: Table, site: Pick<Site, "areas">, server: string): Registration | undefined {
  if (t.register_area === undefined && t.register_addresses === undefined) return undefined;
  const areas = site.areas.map((a) => a.name as string);
  const area = f.string(t, P, "register_area", { expected: `the area whose cluster ${P}.server joins, one of ${areas.join(", ")}` });
  if (area && !areas.includes(area)) f.fail(`${P}.register_area`, area, `one of the areas in [site.areas]: ${areas.join(", ")}`);
  const addresses = f.strings(t, P, "register_addresses", {
    nonEmpty: true,
    expected: `the addresses answered for ${P}.server (IPv4 and/or IPv6, at least one)`,
    each: (s) => (isIP(s) ? undefined : "an IPv4 or IPv6 address"),
  });
  return { server: serverName(server), area: areaName(area), addresses };
}

function validateSource(f: Fields, t: Table, kind: SourceKind): WebSourceConfig {
  switch (kind) {
    case "apache": {
      const statusUrl = f.string(t, P, "status_url", { pattern: URL_PATTERN, expected: "an http:// or https:// URL of the mod_status ?auto page" });
      if (t.max_workers === undefined) return { kind, statusUrl };
      return {
        kind,
        statusUrl,
        maxWorkers: f.number(t, P, "max_workers", { min: 1, max: 1_000_000, integer: true, unit: "workers (Apache's MaxRequestWorkers)" }),
      };
    }
    case "nginx":
      return {
        kind,
        statusUrl: f.string(t, P, "status_url", { pattern: URL_PATTERN, expected: "an http:// or https:// URL of the stub_status page" }),
        capacity: f.number(t, P, "capacity", { min: 1, max: 100_000_000, integer: true, unit: "connections (worker_processes × worker_connections, or less)" }),
      };
    case "http": {
      const probe: WebSourceConfig = {
        kind,
        url: f.string(t, P, "url", { pattern: URL_PATTERN, expected: "an http:// or https:// URL to probe" }),
        expectStatus: f.number(t, P, "expect_status", { default: 200, min: 100, max: 599, integer: true, unit: "(an HTTP status)" }),
      };
      if (t.expect_body !== undefined) probe.expectBody = f.string(t, P, "expect_body", { expected: "text the body must contain" });
      return probe;
    }
    case "tcp": {
      const expected = 'an address and port such as "127.0.0.1:80" or "[::1]:80"';
      const text = f.string(t, P, "address", { expected });
      const address = parseHostPort(text);
      if (!address && text) f.fail(`${P}.address`, text, expected);
      return { kind, address: address ?? { host: "", port: 0 } };
    }
  }
}

const sourcesWith = (key: string) =>
  KINDS.filter((k) => (SOURCE_KEYS[k] as readonly string[]).includes(key))
    .map((k) => `source = "${k}"`)
    .join(" or ");
