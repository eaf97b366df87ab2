// The DNS keys of [site] and [nameserver]: how balanced names are answered, static records, and
// the nameserver's limits. Pure; called by validate.ts, errors through the same Fields.

import type { UpdateAllowConfig } from "./update-config.ts";
import type { HostPort } from "../core/host-port.ts";
import { STATIC_TYPES, type AreaName, type StaticRecordSpec, type StaticType } from "../core/types.ts";
import { parsePrefix, type Prefix } from "../geo/address.ts";
import { parseRecordData } from "./records.ts";
import { DEFAULT_MAX_ANSWER_ADDRESSES, TCP_IDLE_MS_DEFAULT, TCP_MAX_CONNECTIONS_DEFAULT, UDP_EDNS_LIMIT } from "./limits.ts";
import { join, type Fields, type Table } from "../core/fields.ts";
import { qualify } from "../core/names.ts";

export const SITE_DNS_KEYS = ["answer_scheme", "max_answer_addresses", "records"] as const;
export const NAMESERVER_DNS_KEYS = [
  "udp_size",
  "tcp_max_connections",
  "tcp_idle_ms",
  "transfer_allow",
  "rate_limit",
  "rate_limit_ipv4_prefix",
  "rate_limit_ipv6_prefix",
  "workers",
  "udp_io",
] as const;

export interface NameserverDnsOptions {
  /** Largest UDP reply, advertised in OPT (RFC 6891); nothing larger is ever sent over UDP. */
  udpSize: number;
  tcpMaxConnections: number;
  /** A TCP connection quiet this long is closed (RFC 7766 §6.2.3). */
  tcpIdleMs: number;
  /** Prefixes (CIDR or single addresses) that may transfer the zone (AXFR over TCP). */
  transferAllow: Prefix[];
  /** UDP responses per second per client prefix; 0 turns the limit off. */
  rateLimit: number;
  rateLimitIpv4Prefix: number;
  rateLimitIpv6Prefix: number;
  /** Child processes answering UDP (SO_REUSEPORT when several); 0: the node answers UDP itself. */
  workers: number;
  /** How workers do UDP: "batched" (recvmmsg/sendmmsg, Linux with glibc), "portable", or "auto" (batched when its self-test passes). */
  udpIo: "auto" | "batched" | "portable";
}

/** [nameserver]: the area answered for, where, and the DNS options above. */
export interface NameserverConfig extends NameserverDnsOptions {
  area: AreaName;
  listen: HostPort[];
  /** Who may change which records by RFC 2136 UPDATE; absent: UPDATE is refused (NOTIMP). */
  updateAllow?: UpdateAllowConfig[];
  /** Secondaries told by NOTIFY (RFC 1996) when the zone's static part changes. */
  notify?: HostPort[];
}

export function nameserverDns(f: Fields, ns: Table): NameserverDnsOptions {
  const p = "nameserver";
  return {
    udpSize: f.number(ns, p, "udp_size", { default: UDP_EDNS_LIMIT, min: 512, max: 4096, integer: true, unit: "bytes" }),
    tcpMaxConnections: f.number(ns, p, "tcp_max_connections", { default: TCP_MAX_CONNECTIONS_DEFAULT, min: 1, max: 65_535, integer: true }),
    tcpIdleMs: f.number(ns, p, "tcp_idle_ms", { default: TCP_IDLE_MS_DEFAULT, min: 100, max: 600_000, integer: true, unit: "ms" }),
    transferAllow: f
      .strings(ns, p, "transfer_allow", {
        default: [],
        each: (s) => (typeof parseAllowed(s) === "string" ? `an address or prefix: ${parseAllowed(s)}` : undefined),
      })
      .map(parseAllowed)
      .filter((x): x is Prefix => typeof x !== "string"),
    rateLimit: f.number(ns, p, "rate_limit", { default: 0, min: 0, max: 1_000_000, integer: true, unit: "responses per second per client prefix (0: off)" }),
    rateLimitIpv4Prefix: f.number(ns, p, "rate_limit_ipv4_prefix", { default: 24, min: 8, max: 32, integer: true, unit: "bits" }),
    rateLimitIpv6Prefix: f.number(ns, p, "rate_limit_ipv6_prefix", { default: 56, min: 16, max: 128, integer: true, unit: "bits" }),
    workers: f.number(ns, p, "workers", { default: 1, min: 0, max: 64, integer: true, unit: "processes" }),
    udpIo: f.string(ns, p, "udp_io", {
      default: "auto",
      pattern: /^(auto|batched|portable)$/,
      expected: '"auto", "batched" (recvmmsg/sendmmsg; Linux, glibc) or "portable"',
    }) as NameserverDnsOptions["udpIo"],
  };
}

/** "192.0.2.0/24", "2001:db8::/32", or a bare address (a prefix of full length). */
export function parseAllowed(s: string): Prefix | string {
  return parsePrefix(s.includes("/") ? s : `${s}/${s.includes(":") ? 128 : 32}`);
}

export interface SiteDns {
  answerScheme: "addresses" | "cname";
  maxAnswerAddresses: number;
  records: StaticRecordSpec[];
}

/** `names` are the qualified balanced names; `ttl` the site's default TTL. */
export function siteDns(f: Fields, t: Table, zone: string, names: readonly string[], ttl: number): Partial<SiteDns> {
  const p = "site";
  const answerScheme = f.string(t, p, "answer_scheme", {
    default: "addresses",
    pattern: /^(addresses|cname)$/,
    expected: '"addresses" (balanced names hold the addresses) or "cname" (thesis §8.2)',
  }) as SiteDns["answerScheme"];
  const maxAnswerAddresses = f.number(t, p, "max_answer_addresses", {
    default: DEFAULT_MAX_ANSWER_ADDRESSES,
    min: 1,
    max: 1000,
    integer: true,
    unit: "addresses per family",
  });
  const records: StaticRecordSpec[] = [];
  const raw = t.records ?? [];
  if (!Array.isArray(raw)) f.fail(join(p, "records"), raw, "an array of tables: [[site.records]] with name, type, data");
  const balanced = new Set(names);
  for (const [rp, v] of f.tablesIn(raw, `${p}.records`, "a table with name, type, data (and ttl_seconds)")) {
    f.known(v, rp, ["name", "type", "data", "ttl_seconds"]);
    const given = f.string(v, rp, "name", { expected: '"@" for the zone apex, a name in the zone ("mail") or absolute ("mail.example.com")' });
    const name = given === "@" ? zone : qualify(given, zone);
    if (given && name !== zone && !name.endsWith(`.${zone}`)) f.fail(`${rp}.name`, given, `a name inside the zone ${zone}`);
    else if (given && (balanced.has(name) || /(^|\.)area-[^.]+\./.test(name)))
      f.fail(`${rp}.name`, given, "a name other than the balanced names and the areas' own names (walrus answers those)");
    const type = f.string(v, rp, "type", { pattern: new RegExp(`^(${STATIC_TYPES.join("|")})$`), expected: `one of ${STATIC_TYPES.join(", ")}` });
    const data = f.string(v, rp, "data", { expected: "the record data in zone-file form" });
    const ttlSeconds = f.number(v, rp, "ttl_seconds", { default: ttl, min: 0, max: 86_400, integer: true, unit: "seconds" });
    if (!(STATIC_TYPES as readonly string[]).includes(type) || typeof v.data !== "string") continue;
    const parsed = parseRecordData(type as StaticType, data, zone);
    if (!parsed.ok) f.fail(`${rp}.data`, data, parsed.expected);
    else records.push({ name, type: type as StaticType, ttlSeconds, data, rdata: parsed.data });
  }
  // RFC 1034 §3.6.2: a CNAME owner has no other data; the apex always has SOA and NS.
  for (const r of records.filter((x) => x.type === "CNAME")) {
    if (r.name === zone || records.some((x) => x.name === r.name && x !== r))
      f.fail(`${p}.records`, `${r.name} CNAME`, "a CNAME alone at its name, and never at the zone apex");
  }
  // Only the keys given: a site without them keeps the digest it had before they existed.
  const result: Partial<SiteDns> = {};
  if (t.answer_scheme !== undefined) result.answerScheme = answerScheme;
  if (t.max_answer_addresses !== undefined) result.maxAnswerAddresses = maxAnswerAddresses;
  if (records.length > 0) result.records = records;
  return result;
}
