// Plain data shared by every role. Pure modules take and return these; nothing here does I/O.

/** An area: a region with its own authoritative nameserver; also names its home cluster. */
export type AreaName = string & { readonly __brand: "AreaName" };
/** A web server, as named in the site config. */
export type ServerName = string & { readonly __brand: "ServerName" };
/** A libp2p peer id in its string form. */
export type PeerIdText = string & { readonly __brand: "PeerIdText" };

export const areaName = (s: string) => s as AreaName;
export const serverName = (s: string) => s as ServerName;
export const peerIdText = (s: string) => s as PeerIdText;

/** Which host figures take part in the load figure (see src/assign/load.ts). */
export type LoadTerm = "workers" | "cpu" | "runqueue" | "memory";
export const LOAD_TERMS: readonly LoadTerm[] = ["workers", "cpu", "runqueue", "memory"];

export interface AreaSpec {
  name: AreaName;
  /** Fully qualified host name of this area's nameserver, lower case, no trailing dot. */
  nameserverHost: string;
  /** Glue addresses of that nameserver (IPv4 and/or IPv6). */
  nameserverAddresses: string[];
  /** A web host granted a reporter for a server the document does not list may add it to this
   * area's cluster by itself (README "Servers that register themselves"); absent: it may not. */
  selfRegister?: true;
}

export interface ServerSpec {
  name: ServerName;
  /** The area whose home cluster this server belongs to. */
  area: AreaName;
  /** Addresses handed out in DNS answers (IPv4 → A, IPv6 → AAAA). */
  addresses: string[];
}

/** A server a web host announces in its heartbeats for an area that allows self-registration
 * (its node file's [reporter] server, register_area and register_addresses). */
export interface Registration {
  server: ServerName;
  area: AreaName;
  addresses: string[];
}

/** The record types a site may hold besides its balanced names ([[site.records]], RFC 2136 updates). */
export const STATIC_TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "SRV"] as const;
export type StaticType = (typeof STATIC_TYPES)[number];

/** One static record, parsed once where it entered (src/dns/records.ts). */
export interface StaticRecordSpec {
  /** Fully qualified owner, lower case, no trailing dot. */
  name: string;
  type: StaticType;
  ttlSeconds: number;
  /** Presentation form, as the operator wrote it: what the site's digest covers. */
  data: string;
  /** `data` in dns-packet's form; left out of the site's digest. */
  rdata: unknown;
}

/** The `[site]` table after validation: identical on every node (compared by digest). */
export interface Site {
  /** Zone apex, lower case, no trailing dot, e.g. "example.test". */
  zone: string;
  /** Balanced names, fully qualified, lower case, no trailing dot. */
  names: string[];
  ttlSeconds: number;
  /** A server whose load figure is at or above this is overloaded. */
  loadThreshold: number;
  /** An overloaded server counts as below the threshold again only under loadThreshold − this. */
  loadHysteresis: number;
  /** Phase Four moves an area only when the target's load is lower by at least this much. */
  balanceMargin: number;
  /** Graded shedding (issue 19): the share of an overloaded area's resolvers moved per step; 0: off. */
  spillStep: number;
  loadTerms: LoadTerm[];
  reportIntervalMs: number;
  roundIntervalMs: number;
  heartbeatIntervalMs: number;
  /** A peer (or a server's report) unheard of for this long is taken as dead. */
  deadAfterMs: number;
  /** How long the controller reuses a TEMPFAIL server's last OK figures (thesis §5.3). */
  tempfailReuseMs: number;
  /** A controller candidate unheard of for this long is taken as dead (faster than deadAfterMs). */
  candidateDeadAfterMs: number;
  /** A candidate acts as master only after being first in a stable view for this long. */
  masterSettleMs: number;
  /** A cluster that just received or lost an area is not moved again for this many rounds. */
  cooldownRounds: number;
  /** An assignment not refreshed for this long is replaced by the nameserver's own decision. */
  maxStalenessMs: number;
  /** After a publish, a server still on the previous release is not stale for this long. */
  contentGraceMs: number;
  /** SOA contact, as a domain name (hostmaster.example.test). */
  hostmaster: string;
  secretFile: string;
  /** Directory of the zone's DNSSEC keys (issue 21); absent: the zone is not signed. */
  dnssecKeys?: string;
  /** The site document's version ([site] version; a pushed document's number). */
  version: number;
  /** Thesis §8.2: balanced names hold the addresses ("addresses", the default), or are a CNAME to
   * the area's own name `<name>.area-<area>.<zone>` that holds them ("cname"). */
  answerScheme?: "addresses" | "cname";
  /** Addresses per family in one answer, least loaded first (default 32: one datagram). */
  maxAnswerAddresses?: number;
  /** [[site.records]]: the zone's other records (MX, TXT, other A/AAAA, CNAME, SRV). */
  records?: StaticRecordSpec[];
  areas: AreaSpec[];
  servers: ServerSpec[];
}

// ---- Reports (thesis §5) ----

/** §5.3: OK, or one of the three special replies. */
export type ReportStatus = "ok" | "tempfail" | "bypass" | "panic";

/** §5.1 host statistics over `durationMs`. CPU shares are fractions 0..1 of all cores. */
export interface HostStats {
  durationMs: number;
  cpus: number;
  cpuUser: number; // nice included
  cpuSystem: number;
  cpuIdle: number;
  memTotalBytes: number;
  memFreeBytes: number; // MemAvailable: free now or on demand
  pagedOutBytes: number; // over the interval
  swapFreeBytes: number;
  runnable: number;
  blocked: number;
}

/** §5.2 web server statistics. nginx has no workers to count: its connections stand in. */
export interface WebStats {
  hits: number; // total requests served since start
  busyWorkers: number; // Apache: busy workers; nginx: active connections
  maxWorkers: number; // Apache: scoreboard slots or the configured limit; nginx: configured capacity
  /** Hits per second over the interval since the previous reading; absent on the first or after a restart. */
  requestsPerSecond?: number;
  /** nginx only: connections reading a request, writing a reply, idle in keep-alive. */
  reading?: number;
  writing?: number;
  waiting?: number;
}

export interface Report {
  server: ServerName;
  /** Increases by one per report from one reporter run. */
  seq: number;
  /** Reporter's wall clock when measured (ms since epoch). */
  atMs: number;
  status: ReportStatus;
  reason?: string;
  host?: HostStats;
  web?: WebStats;
  /** The release its web server serves ("" while it has none), when the reporter knows (release_root). */
  release?: string;
  /** The newest change of content walrus does not replicate, ms since epoch (content_version_command). */
  contentTimeMs?: number;
}

/** What the replicator says every web server should serve, and since when (see assign/stale.ts). */
export interface SiteRelease {
  id: string;
  /** The release current before it: still fine within the grace after a publish. */
  previous?: string;
  sinceMs: number;
}

// ---- Decisions (thesis §6) ----

/** The controller's view of one server for one round. */
export type ServerState = "up" | "tempfail" | "bypass" | "panic" | "drained" | "dead" | "unknown";

export interface ServerView {
  name: ServerName;
  cluster: AreaName;
  state: ServerState;
  /** Load figure (see load.ts) when known. */
  load?: number;
  /** Over load_threshold, with its hysteresis (assign/overload.ts); absent: load ≥ threshold decides. */
  overloaded?: boolean;
  reason?: string;
  /** Behind the site's content (src/assign/stale.ts): answered only when nothing fresh functions. */
  stale?: { why: string; sinceMs: number };
}

/** Why an area points where it does. */
export type AssignReason =
  | "home" // Phase Two: home cluster has a server below threshold
  | "availability" // Phase Three: its cluster had no functioning server
  | "balance" // Phase Four: moved to a clearly better cluster
  | "kept" // none of the phases moved it
  | "none-functioning"; // no functioning server anywhere: best effort

export interface AreaAssignment {
  area: AreaName;
  cluster: AreaName;
  /** Servers whose addresses this area's nameserver hands out, in preference order. */
  servers: ServerName[];
  reason: AssignReason;
  /** Human words with the figures behind the reason. */
  detail: string;
  /** Graded shedding (issue 19): shares of the area's resolvers answered with other clusters. */
  spill?: SpillShare[];
}

/** A share of an area's resolvers, chosen by a hash of their prefix, answered with another cluster. */
export interface SpillShare {
  to: AreaName;
  /** The target cluster's servers to hand out, in preference order. */
  servers: ServerName[];
  /** Of the area's resolvers, 0 < fraction < 1; the shares of one area add up to less than 1. */
  fraction: number;
  /** When this share last changed, and which way: a step is judged after one TTL, a reversal after several. */
  stepAtMs: number;
  rising: boolean;
  /** Human words: the loads behind the last step. */
  detail: string;
}

/** Stamp that orders assignments: compared by epoch, then seq, for one master. */
export interface AssignmentStamp {
  master: PeerIdText;
  epoch: number;
  seq: number;
  atMs: number;
}

export interface Assignment extends AssignmentStamp {
  areas: AreaAssignment[];
}

// ---- Operator drains: a forced state kept beside the measured one ----

export interface DrainEntry {
  server: ServerName;
  drained: boolean;
  reason: string;
  /** Wall clock of the operator command; the newest entry per server wins. */
  atMs: number;
  by: string;
  /** The issuing node and its signature over the entry (with grants, only a node granted to
   * drain may issue one; any node may relay it, as heartbeats do). */
  peer?: PeerIdText;
  sig?: string;
}

/** An operator public key in its text form: "ed25519:" and 32 bytes in base64url. */
export type OperatorKeyText = string & { readonly __brand: "OperatorKeyText" };

// Grants and revocations (src/authority/ signs and checks them): plain data on the wire.
export interface GrantedRoles {
  /** May stand as a controller candidate at this priority (and so publish assignments). */
  controller?: { priority: number };
  /** May answer DNS as the nameserver of these areas. */
  nameserver?: { areas: AreaName[] };
  /** May report for these servers, and only these. */
  reporter?: { servers: ServerName[] };
  /** May publish releases to the web servers (the Replicator, thesis §4). */
  replicator?: boolean;
  /** May drain and undrain servers (`walrus drain` on this node). */
  drain?: boolean;
}

export interface GrantBody {
  /** Random, unique: what a revocation names. */
  id: string;
  peer: PeerIdText;
  /** The node's name, for people reading status and logs; the peer id is what binds. */
  node: string;
  roles: GrantedRoles;
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface Grant extends GrantBody {
  /** The operator key that signed it, and its signature over the body. */
  key: OperatorKeyText;
  sig: string;
}

export interface RevocationBody {
  /** The id of the revoked grant. */
  grant: string;
  atMs: number;
  reason: string;
}

export interface Revocation extends RevocationBody {
  key: OperatorKeyText;
  sig: string;
}

/** Types RFC 2136 updates may set (src/dns/update-rules.ts). */
export const DYNAMIC_TYPES = ["TXT", "A", "AAAA"] as const;
export type DynamicType = (typeof DYNAMIC_TYPES)[number];

/** One RRset set by updates; no values is a deletion, kept so gossip can carry it. */
export interface DynamicRrset {
  name: string;
  type: DynamicType;
  ttl: number;
  values: string[];
  atMs: number;
  /** The node that accepted it: ties between equal times are broken by it. */
  origin: string;
}

/** The site's shared part: the [site] table as parsed (without the node-local secret_file) and its version. */
export interface SiteDocumentBody {
  version: number;
  site: Readonly<Record<string, unknown>>;
}

/** A site document signed by the operator key (`walrus site push`). */
export interface SiteDocument extends SiteDocumentBody {
  key: OperatorKeyText;
  sig: string;
}
