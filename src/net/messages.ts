// Gossip message schemas: versioned JSON, size-limited, checked field by field.
// decode() never throws: a bad message comes back as a reason, which the node counts.
import {
  DYNAMIC_TYPES,
  type AreaAssignment,
  type AssignReason,
  type Assignment,
  type DrainEntry,
  type DynamicRrset,
  type Grant,
  type GrantedRoles,
  type HostStats,
  type PeerIdText,
  type Registration,
  type Report,
  type ReportStatus,
  type Revocation,
  type SiteDocument,
  type SiteRelease,
  type SpillShare,
  type WebStats,
} from "../core/types.ts";
import type { Topic } from "./bus.ts";

export const MESSAGE_VERSION = 1;
/** Limits that bound what one message can make a node hold. */
export const LIMITS = {
  bytes: 256 * 1024, // a 1,000-area assignment is ~150 KB
  areas: 1000,
  serversPerArea: 256,
  /** Spill shares of one area (issue 19): one per other cluster at most, in practice a few. */
  sharesPerArea: 64,
  drains: 10_000,
  text: 512, // reasons, details, names; also one updated record's data
  grants: 8,
  revocations: 1000,
  grantedServers: 1000,
  records: 1000, // RRsets set by RFC 2136 updates (src/dns/update-rules.ts)
  valuesPerRecord: 32,
  rttSamples: 256, // one message per second at most 100 probes per second, with room
  rttMs: 60_000,
  /** One self-registered server's addresses, with room above REGISTRATION_LIMITS so the rule names the excess. */
  registerAddresses: 64,
};

export interface ReportMsg {
  type: "report";
  site: string;
  report: Report;
}

export interface HeartbeatMsg {
  type: "heartbeat";
  site: string;
  node: string;
  roles: ("reporter" | "controller" | "nameserver")[];
  /** Present when the node is a controller candidate. */
  priority?: number;
  /** Highest master epoch the node has seen (a new master starts above it). */
  epoch: number;
  /** The node's whole drain table when due (state/drain-gossip.ts), else empty: merging it heals
   * drains missed while offline. */
  drains: DrainEntry[];
  /** Digest of the node's whole drain table: a receiver whose own differs sends its table next. */
  drainsDigest?: string;
  atMs: number;
  /** Version of the node's location map: a nameserver answering from another map is seen. */
  mapVersion?: string;
  /** Version of the site document the node runs: a node behind is sent the newer one. */
  siteVersion?: number;
  /** The newest site document the node holds but cannot run (it does not fit its own config): not sent to it again. */
  siteUnfit?: number;
  /** The node's own grants (what the operator allows it), checked by every receiver. */
  grants?: Grant[];
  /** Every revocation the node knows: a node that was down when one was issued learns it. */
  revocations?: Revocation[];
  /** From the replicator: the release every web server should serve. */
  release?: SiteRelease;
  /** A server the node registers by itself (its reporter's, absent from the site document). */
  register?: Registration;
}

export interface AssignmentMsg {
  type: "assignment";
  site: string;
  assignment: Assignment;
}

export interface DrainMsg {
  type: "drain";
  site: string;
  drain: DrainEntry;
}

export interface RevocationMsg {
  type: "revocation";
  site: string;
  revocation: Revocation;
}

/** A site document signed by the operator key (`walrus site push`, or re-sent to a node behind). */
export interface SiteMsg {
  type: "site";
  site: string;
  document: SiteDocument;
}

/** Records accepted from RFC 2136 updates: every nameserver serves them and keeps the newest. */
export interface RecordsMsg {
  type: "records";
  site: string;
  rrsets: DynamicRrset[];
}

/** Round trips an area's nameserver measured to resolvers that queried the site (issue 18). */
export interface RttMsg {
  type: "rtt";
  site: string;
  /** The measuring nameserver's area. */
  area: string;
  atMs: number;
  /** `prefix`: the resolver's /24 or /48; `address`: the resolver probed, inside it. */
  samples: { prefix: string; address: string; rttMs: number }[];
}

export type Message = ReportMsg | HeartbeatMsg | AssignmentMsg | DrainMsg | RevocationMsg | RecordsMsg | RttMsg | SiteMsg;

const TOPIC_OF: Record<Message["type"], Topic> = {
  report: "reports",
  heartbeat: "heartbeats",
  assignment: "assignments",
  drain: "commands",
  revocation: "commands",
  records: "commands",
  rtt: "locations",
  site: "sites",
};

export function topicOf(m: Message): Topic {
  return TOPIC_OF[m.type];
}

export function encode(m: Message): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: MESSAGE_VERSION, ...m }));
}

export type Decoded = { ok: true; msg: Message } | { ok: false; reason: string };

class Invalid extends Error {}

export function decode(topic: Topic, data: Uint8Array): Decoded {
  if (data.byteLength > LIMITS.bytes) return { ok: false, reason: "too-large" };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    return { ok: false, reason: "not-json" };
  }
  try {
    const o = obj(raw, "message");
    if (o.v !== MESSAGE_VERSION) return { ok: false, reason: "version" };
    const msg = parseMessage(o);
    if (TOPIC_OF[msg.type] !== topic) return { ok: false, reason: "wrong-topic" };
    return { ok: true, msg };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: `schema: ${err.message}` };
    throw err;
  }
}

function parseMessage(o: Record<string, unknown>): Message {
  const site = str(o.site, "site");
  switch (o.type) {
    case "report":
      return { type: "report", site, report: parseReport(obj(o.report, "report")) };
    case "heartbeat": {
      const roles = arr(o.roles, "roles", 3).map((r) => oneOf(r, "roles[]", ["reporter", "controller", "nameserver"] as const));
      const hb: HeartbeatMsg = {
        type: "heartbeat",
        site,
        node: str(o.node, "node"),
        roles,
        epoch: int(o.epoch, "epoch"),
        drains: arr(o.drains, "drains", LIMITS.drains).map((d) => parseDrain(obj(d, "drains[]"))),
        atMs: num(o.atMs, "atMs"),
      };
      if (o.priority !== undefined) hb.priority = int(o.priority, "priority");
      if (o.mapVersion !== undefined) hb.mapVersion = str(o.mapVersion, "mapVersion");
      if (o.siteVersion !== undefined) hb.siteVersion = int(o.siteVersion, "siteVersion");
      if (o.siteUnfit !== undefined) hb.siteUnfit = int(o.siteUnfit, "siteUnfit");
      if (o.drainsDigest !== undefined) hb.drainsDigest = str(o.drainsDigest, "drainsDigest");
      if (o.grants !== undefined) hb.grants = arr(o.grants, "grants", LIMITS.grants).map((g) => parseGrant(obj(g, "grants[]")));
      if (o.revocations !== undefined)
        hb.revocations = arr(o.revocations, "revocations", LIMITS.revocations).map((r) => parseRevocation(obj(r, "revocations[]")));
      if (o.release !== undefined) hb.release = parseRelease(obj(o.release, "release"));
      if (o.register !== undefined) hb.register = parseRegistration(obj(o.register, "register"));
      return hb;
    }
    case "assignment":
      return { type: "assignment", site, assignment: parseAssignment(obj(o.assignment, "assignment")) };
    case "drain":
      return { type: "drain", site, drain: parseDrain(obj(o.drain, "drain")) };
    case "revocation":
      return { type: "revocation", site, revocation: parseRevocation(obj(o.revocation, "revocation")) };
    case "records":
      return { type: "records", site, rrsets: arr(o.rrsets, "rrsets", LIMITS.records).map((r) => parseRrset(obj(r, "rrsets[]"))) };
    case "site":
      return { type: "site", site, document: parseSiteDocument(obj(o.document, "document")) };
    case "rtt":
      return {
        type: "rtt",
        site,
        area: str(o.area, "area"),
        atMs: num(o.atMs, "atMs"),
        samples: arr(o.samples, "samples", LIMITS.rttSamples).map((x) => parseRttSample(obj(x, "samples[]"))),
      };
    default:
      throw new Invalid("type");
  }
}

const STATUSES = ["ok", "tempfail", "bypass", "panic"] as const satisfies readonly ReportStatus[];
const REASONS = ["home", "availability", "balance", "kept", "none-functioning"] as const satisfies readonly AssignReason[];

function parseReport(o: Record<string, unknown>): Report {
  const r: Report = {
    server: str(o.server, "report.server") as Report["server"],
    seq: int(o.seq, "report.seq"),
    atMs: num(o.atMs, "report.atMs"),
    status: oneOf(o.status, "report.status", STATUSES),
  };
  if (o.reason !== undefined) r.reason = str(o.reason, "report.reason");
  if (o.host !== undefined) r.host = parseHost(obj(o.host, "report.host"));
  if (o.web !== undefined) r.web = parseWeb(obj(o.web, "report.web"));
  if (o.release !== undefined) r.release = str(o.release, "report.release", true);
  if (o.contentTimeMs !== undefined) r.contentTimeMs = num(o.contentTimeMs, "report.contentTimeMs");
  return r;
}

const HOST_FIELDS = [
  "durationMs",
  "cpus",
  "cpuUser",
  "cpuSystem",
  "cpuIdle",
  "memTotalBytes",
  "memFreeBytes",
  "pagedOutBytes",
  "swapFreeBytes",
  "runnable",
  "blocked",
] as const;

function parseHost(o: Record<string, unknown>): HostStats {
  const h = {} as Record<string, number>;
  for (const k of HOST_FIELDS) h[k] = num(o[k], `report.host.${k}`);
  return h as unknown as HostStats;
}

const OPTIONAL_WEB_FIELDS = ["requestsPerSecond", "reading", "writing", "waiting"] as const;

function parseWeb(o: Record<string, unknown>): WebStats {
  const w: WebStats = {
    hits: num(o.hits, "report.web.hits"),
    busyWorkers: num(o.busyWorkers, "report.web.busyWorkers"),
    maxWorkers: num(o.maxWorkers, "report.web.maxWorkers"),
  };
  for (const k of OPTIONAL_WEB_FIELDS) if (o[k] !== undefined) w[k] = num(o[k], `report.web.${k}`);
  return w;
}

function parseAssignment(o: Record<string, unknown>): Assignment {
  return {
    master: str(o.master, "assignment.master") as PeerIdText,
    epoch: int(o.epoch, "assignment.epoch"),
    seq: int(o.seq, "assignment.seq"),
    atMs: num(o.atMs, "assignment.atMs"),
    areas: arr(o.areas, "assignment.areas", LIMITS.areas).map((x) => {
      const a = obj(x, "assignment.areas[]");
      const out: AreaAssignment = {
        area: str(a.area, "areas[].area") as AreaAssignment["area"],
        cluster: str(a.cluster, "areas[].cluster") as AreaAssignment["cluster"],
        servers: servers(a.servers, "areas[].servers"),
        reason: oneOf(a.reason, "areas[].reason", REASONS),
        detail: str(a.detail, "areas[].detail", true),
      };
      if (a.spill !== undefined) out.spill = parseSpill(a.spill);
      return out;
    }),
  };
}

const servers = (v: unknown, what: string) => arr(v, what, LIMITS.serversPerArea).map((s) => str(s, `${what}[]`) as AreaAssignment["servers"][number]);

/** Shares are fractions above 0 that add up to less than 1: a resolver's hash picks at most one. */
function parseSpill(v: unknown): SpillShare[] {
  const shares = arr(v, "areas[].spill", LIMITS.sharesPerArea).map((x) => {
    const s = obj(x, "areas[].spill[]");
    const fraction = num(s.fraction, "areas[].spill[].fraction");
    if (fraction <= 0 || fraction >= 1) throw new Invalid("areas[].spill[].fraction");
    if (typeof s.rising !== "boolean") throw new Invalid("areas[].spill[].rising");
    return {
      to: str(s.to, "areas[].spill[].to") as SpillShare["to"],
      servers: servers(s.servers, "areas[].spill[].servers"),
      fraction,
      stepAtMs: num(s.stepAtMs, "areas[].spill[].stepAtMs"),
      rising: s.rising,
      detail: str(s.detail, "areas[].spill[].detail", true),
    };
  });
  if (shares.reduce((n, s) => n + s.fraction, 0) >= 1) throw new Invalid("areas[].spill: fractions add up to 1 or more");
  return shares;
}

function parseRelease(o: Record<string, unknown>): SiteRelease {
  const r: SiteRelease = { id: str(o.id, "release.id"), sinceMs: num(o.sinceMs, "release.sinceMs") };
  if (o.previous !== undefined) r.previous = str(o.previous, "release.previous");
  return r;
}

function parseDrain(o: Record<string, unknown>): DrainEntry {
  if (typeof o.drained !== "boolean") throw new Invalid("drain.drained");
  const d: DrainEntry = {
    server: str(o.server, "drain.server") as DrainEntry["server"],
    drained: o.drained,
    reason: str(o.reason, "drain.reason", true),
    atMs: num(o.atMs, "drain.atMs"),
    by: str(o.by, "drain.by", true),
  };
  if (o.peer !== undefined) d.peer = str(o.peer, "drain.peer") as PeerIdText;
  if (o.sig !== undefined) d.sig = str(o.sig, "drain.sig");
  return d;
}

function parseGrant(o: Record<string, unknown>): Grant {
  const r = obj(o.roles, "grant.roles");
  const roles: GrantedRoles = {};
  if (r.controller !== undefined) roles.controller = { priority: int(obj(r.controller, "grant.roles.controller").priority, "grant.roles.controller.priority") };
  if (r.nameserver !== undefined)
    roles.nameserver = {
      areas: names(obj(r.nameserver, "grant.roles.nameserver").areas, "grant.roles.nameserver.areas", LIMITS.areas) as Assignment["areas"][number]["area"][],
    };
  if (r.reporter !== undefined)
    roles.reporter = {
      servers: names(obj(r.reporter, "grant.roles.reporter").servers, "grant.roles.reporter.servers", LIMITS.grantedServers) as Report["server"][],
    };
  if (r.replicator !== undefined) roles.replicator = bool(r.replicator, "grant.roles.replicator");
  if (r.drain !== undefined) roles.drain = bool(r.drain, "grant.roles.drain");
  return {
    id: str(o.id, "grant.id"),
    peer: str(o.peer, "grant.peer") as PeerIdText,
    node: str(o.node, "grant.node"),
    roles,
    issuedAtMs: int(o.issuedAtMs, "grant.issuedAtMs"),
    expiresAtMs: int(o.expiresAtMs, "grant.expiresAtMs"),
    ...signature(o, "grant"),
  };
}

function parseRevocation(o: Record<string, unknown>): Revocation {
  return {
    grant: str(o.grant, "revocation.grant"),
    atMs: int(o.atMs, "revocation.atMs"),
    reason: str(o.reason, "revocation.reason", true),
    ...signature(o, "revocation"),
  };
}

/** The table's fields are the config validator's to judge, once the signature holds. */
function parseSiteDocument(o: Record<string, unknown>): SiteDocument {
  return {
    version: int(o.version, "document.version"),
    site: obj(o.site, "document.site"),
    ...signature(o, "document"),
  };
}

/** The operator key that signed a grant, revocation or site document, and its signature (judged by src/authority/). */
function signature(o: Record<string, unknown>, what: string): Pick<Grant, "key" | "sig"> {
  return { key: str(o.key, `${what}.key`) as Grant["key"], sig: str(o.sig, `${what}.sig`) };
}

/** A site document as `walrus site push` hands it to the node. */
export const decodeSiteDocument = (raw: unknown) => decodeWith(raw, "document", parseSiteDocument);

/** A grant as stored in a node's grants file: the same schema as on the wire. */
export const decodeGrant = (raw: unknown) => decodeWith(raw, "grant", parseGrant);
/** A revocation handed to the node by `walrus revoke`. */
export const decodeRevocation = (raw: unknown) => decodeWith(raw, "revocation", parseRevocation);

function decodeWith<T>(raw: unknown, what: string, parse: (o: Record<string, unknown>) => T): { ok: true; value: T } | { ok: false; reason: string } {
  try {
    return { ok: true, value: parse(obj(raw, what)) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

function names(v: unknown, what: string, max: number): string[] {
  return arr(v, what, max).map((s) => str(s, `${what}[]`));
}
function bool(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new Invalid(what);
  return v;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function parseRrset(o: Record<string, unknown>): DynamicRrset {
  const name = str(o.name, "rrsets[].name");
  if (!HOST_NAME.test(name)) throw new Invalid("rrsets[].name");
  return {
    name,
    type: oneOf(o.type, "rrsets[].type", DYNAMIC_TYPES),
    ttl: int(o.ttl, "rrsets[].ttl"),
    values: arr(o.values, "rrsets[].values", LIMITS.valuesPerRecord).map((v) => str(v, "rrsets[].values[]", true)),
    atMs: num(o.atMs, "rrsets[].atMs"),
    origin: str(o.origin, "rrsets[].origin"),
  };
}

/** The shape only; whether the prefix holds the address and may be learned is geo's to say (sampleProblem). */
function parseRttSample(o: Record<string, unknown>): RttMsg["samples"][number] {
  const rttMs = num(o.rttMs, "samples[].rttMs");
  if (rttMs > LIMITS.rttMs) throw new Invalid("samples[].rttMs");
  return { prefix: str(o.prefix, "samples[].prefix"), address: str(o.address, "samples[].address"), rttMs };
}

/** Addresses are parsed by the rule that judges the registration (authority/self-registration.ts). */
function parseRegistration(o: Record<string, unknown>): Registration {
  return {
    server: str(o.server, "register.server") as Registration["server"],
    area: str(o.area, "register.area") as Registration["area"],
    addresses: arr(o.addresses, "register.addresses", LIMITS.registerAddresses).map((a) => str(a, "register.addresses[]")),
  };
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Invalid(what);
  return v as Record<string, unknown>;
}
function arr(v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw new Invalid(what);
  return v;
}
function str(v: unknown, what: string, emptyOk = false): string {
  if (typeof v !== "string" || v.length > LIMITS.text || (!emptyOk && v.length === 0)) throw new Invalid(what);
  return v;
}
function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new Invalid(what);
  return v;
}
function int(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Invalid(what);
  return v as number;
}
function oneOf<T extends string>(v: unknown, what: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new Invalid(what);
  return v as T;
}
