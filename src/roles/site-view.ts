// What this node knows of the site: members, drains, server reports and the master's latest
// assignment. It folds gossip into that state (decoding each message once) and is its only
// writer; everyone else reads an immutable snapshot taken at one clock reading. The decisions
// stay pure (membership/view.ts, assign/server-view.ts, assign/follow.ts, assign/cooldown.ts,
// state/drains.ts); this is their stateful shell.
import { coolingClusters, withClusterChanges } from "../assign/cooldown.ts";
import { isNewer, nextFollowed, type Followed } from "../assign/follow.ts";
import { recordReport, serverViews, type ReportRecord } from "../assign/server-view.ts";
import { authority, isOpen, refusal, withPresented, withRevocations, withTrusted, type Authority, type Claim } from "../authority/authority.ts";
import { signedBytes } from "../authority/canonical.ts";
import { describeRoles } from "../authority/grant.ts";
import { registeredKey, registrationRefusal, withRegistered, type RegisteredSite } from "../authority/self-registration.ts";
import { verifyPeer, type PeerSigner } from "../net/peer-keys.ts";
import { markLagging, markStale, newestRelease } from "../assign/stale.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type {
  AreaName,
  Assignment,
  DrainEntry,
  DynamicRrset,
  Grant,
  PeerIdText,
  Registration,
  Revocation,
  ServerName,
  ServerView,
  Site,
  SiteRelease,
} from "../core/types.ts";
import type { Bus, Verdict } from "../net/bus.ts";
import { decode, encode, topicOf, type HeartbeatMsg, type Message } from "../net/messages.ts";
import { beatDue, type BeatSent } from "../membership/quiet-beat.ts";
import { isLive, masterOf, withDisconnect, withHeard, withHeartbeat, withoutLongDead, type Liveness, type Member, type Members } from "../membership/view.ts";
import { DrainGossip } from "../state/drain-gossip.ts";
import { mergeDrains, type Drains } from "../state/drains.ts";
import type { StateStore } from "../state/store.ts";
import type { SiteDocs } from "./site-docs.ts";

const DRAINS_FILE = "drains.json";
const EPOCH_FILE = "epoch.json";
const REVOCATIONS_FILE = "revocations.json";
/** A heartbeat stamped further than this from our clock is a replay (or a clock to fix). */
const HEARTBEAT_SKEW_MS = 60_000;
/** A master's assignment older than this many rounds is not adopted on a change of master. */
const FRESH_ROUNDS = 3;
/** Members silent this long are dropped from the table (and from `walrus status`). */
const FORGET_AFTER_MS = 10 * 60_000;

export interface Counters {
  accepted: Readonly<Record<string, number>>;
  rejected: Readonly<Record<string, number>>;
}

/** The site as this node knows it at one instant; nothing in it changes afterwards. */
export interface SiteSnapshot {
  readonly atMs: number;
  readonly self: PeerIdText;
  readonly members: Members;
  readonly master: PeerIdText | undefined;
  /** The site in force with the servers registered by themselves (authority/self-registration.ts). */
  readonly site: Site;
  /** Which of `site.servers` registered themselves. */
  readonly selfRegistered: ReadonlySet<ServerName>;
  readonly servers: readonly ServerView[];
  readonly reports: ReadonlyMap<ServerName, ReportRecord>;
  readonly drains: Drains;
  /** The assignment in force here: the newest from the master of this node's own view. */
  readonly followed: Followed | undefined;
  /** This node's own newest assignment, when it has been master. */
  readonly own: Assignment | undefined;
  /** Clusters within their cooldown after gaining or losing an area in a followed assignment. */
  readonly cooling: ReadonlySet<AreaName>;
  readonly epochSeen: number;
  /** Each member's location map version, from its heartbeats. */
  readonly mapVersions: ReadonlyMap<PeerIdText, string>;
  readonly counters: Counters;
  /** Who may do what: operator keys, the grants peers presented, revocations. */
  readonly authority: Authority;
  /** Whether a member is live at `atMs` (this node always is). */
  isLive(peer: PeerIdText): boolean;
}

export interface SiteViewInit {
  site: Site;
  digest: string;
  nodeName: string;
  roles: HeartbeatMsg["roles"];
  priority?: number;
  /** The location map's version, announced in every heartbeat. */
  mapVersion?: string;
  /** Operator public keys; none: an open site. */
  operatorKeys?: readonly string[];
  /** This node's own grants, presented in its heartbeats. */
  grants?: readonly Grant[];
  /** The server this node registers by itself while the site document does not list it. */
  registration?: Registration;
  /** The slow pace of a node that only reports or replicates: its ticks send only heartbeats with news (membership/quiet-beat.ts). */
  quietPaceMs?: number;
}

export interface SiteViewComponents {
  /** On the replicator: the release every web server should serve, announced in every heartbeat. */
  release?: () => SiteRelease | undefined;
  bus: Bus;
  store: StateStore;
  clock: Clock;
  /** Looks again when a disconnected peer's grace ends, so its death is seen then, not at the next tick. */
  timers: Timers;
  log: Logger;
  /** Signs the drains this node issues, so relays cannot alter them. */
  signer?: PeerSigner;
  /** The site document in force: judges and adopts documents, hears the versions peers run. */
  sites?: SiteDocs;
}

export class SiteView {
  private members: Members = new Map();
  private drains: Drains = new Map();
  private readonly drainGossip = new DrainGossip();
  // Replaced, never changed in place, so a snapshot can share them.
  private reports: ReadonlyMap<ServerName, ReportRecord> = new Map();
  /** The newest assignment heard from each master, kept so a view change can apply it at once. */
  private readonly assignmentsBy = new Map<PeerIdText, Followed>();
  private followed: Followed | undefined;
  /** When each cluster last received or lost an area in a followed assignment (for cooldown). */
  private clusterChangedAtMs: ReadonlyMap<AreaName, number> = new Map();
  private epochSeen = 0;
  private mapVersions: ReadonlyMap<PeerIdText, string> = new Map();
  /** The release each replicator announces (until grants, issue 12, say who may). */
  private releases: ReadonlyMap<PeerIdText, SiteRelease> = new Map();
  /** The registration each peer announces, as taken (judged again at each change: grants expire). */
  private registrations: ReadonlyMap<PeerIdText, Registration> = new Map();
  /** The site in force with the registrations that hold; replaced only when they change. */
  private registered: RegisteredSite;
  /** Why this node's own registration does not hold (logged when it changes). */
  private ownRegistrationRefused: string | undefined;
  private counters: Counters = { accepted: {}, rejected: {} };
  private authority: Authority;
  /** What the validator decoded, by the very bytes gossipsub then delivers: each message is decoded once. */
  private readonly accepted = new WeakMap<Uint8Array, Message>();
  private readonly listeners: (() => void)[] = [];
  private readonly reportListeners: ((server: ServerName, changed: boolean) => void)[] = [];
  private readonly recordsListeners: ((rrsets: readonly DynamicRrset[]) => void)[] = [];
  private readonly followListeners: (() => void)[] = [];
  /** This node's grants, presented in its heartbeats (replaced when the grants file is read again). */
  private ownGrants: readonly Grant[];
  /** The site in force: the node's own, until a newer site document is adopted (adoptSite). */
  private site: Site;
  private mapVersion: string | undefined;
  private serverNames: Set<string>;
  private lastMaster: PeerIdText | undefined;
  private liveness: Liveness;
  /** Candidates are judged faster than other members: a frozen master must be replaced quickly. */
  private candidateLiveness: Liveness;
  private readonly startedMs: number;
  /** When this node last published anything, and what its last heartbeat said (on the slow pace). */
  private lastSentMs = -Infinity;
  private beatSent: BeatSent | undefined;

  constructor(
    private readonly init: SiteViewInit,
    private readonly c: SiteViewComponents,
  ) {
    const { bus, clock, log } = c;
    this.site = init.site;
    this.mapVersion = init.mapVersion;
    this.ownGrants = init.grants ?? [];
    this.serverNames = new Set(init.site.servers.map((s) => s.name));
    this.registered = { site: init.site, registered: new Set() };
    this.liveness = livenessOf(init.site);
    this.candidateLiveness = { ...this.liveness, deadAfterMs: init.site.candidateDeadAfterMs };
    this.startedMs = clock();
    const saved = c.store.readJson(DRAINS_FILE);
    if (Array.isArray(saved)) this.drains = mergeDrains(new Map(), saved as DrainEntry[], this.serverNames) ?? new Map();
    const epoch = c.store.readJson(EPOCH_FILE);
    if (typeof epoch === "number" && Number.isSafeInteger(epoch)) this.epochSeen = epoch;
    this.authority = authority(init.operatorKeys ?? []);
    const revoked = c.store.readJson(REVOCATIONS_FILE);
    if (Array.isArray(revoked)) this.authority = withRevocations(this.authority, revoked as Revocation[]).authority;
    const own = withPresented(this.authority, bus.self, init.grants ?? [], this.startedMs);
    this.authority = own.authority;
    for (const why of own.rejected) log.warn("this node's own grant does not hold: other nodes will refuse what it claims", { reason: why });
    for (const g of own.authority.grants.get(bus.self) ?? [])
      log.info("granted", { grant: g.id, roles: describeRoles(g.roles), until: new Date(g.expiresAtMs).toISOString() });
    this.refreshRegistered(this.startedMs);
    bus.onPeer((e) => {
      log.debug(e.connected ? "peer connected" : "peer disconnected", { peer: e.peer, node: this.members.get(e.peer)?.node ?? "?" });
      if (!e.connected) {
        const now = clock();
        this.members = withDisconnect(this.members, e.peer, now);
        this.changed(now);
        c.timers.after(this.liveness.graceMs + 1, () => this.changed(clock()));
      } else this.drainGossip.sendNext();
    });
  }

  get self(): PeerIdText {
    return this.c.bus.self;
  }

  /** Gossipsub validator: decodes, checks the claim against its signer (the author, whose
   * signature the message carries), counts; a refused message is not forwarded. */
  accept(topic: Parameters<typeof decode>[0], data: Uint8Array, from: PeerIdText): Verdict {
    const d = decode(topic, data);
    if (!d.ok) {
      this.count("rejected", d.reason);
      return "reject";
    }
    const why = this.claimRefused(d.msg, from);
    if (!why) {
      this.accepted.set(data, d.msg);
      return "accept";
    }
    this.count("rejected", why);
    // Only a claim no honest node would pass on marks down the forwarder; the rest depends on
    // what this node knows now (grants heard, the newest heartbeat) and is dropped quietly.
    return why === "assignment-master-not-sender" ? "reject" : "ignore";
  }

  /** Claims judged without changing state (grants in a heartbeat are taken in handle()). */
  private claimRefused(msg: Message, from: PeerIdText): string | undefined {
    const now = this.c.clock();
    const claim: Claim | undefined =
      msg.type === "assignment"
        ? { kind: "assignment", master: msg.assignment.master }
        : msg.type === "report"
          ? { kind: "report", server: msg.report.server }
          : msg.type === "records"
            ? { kind: "records" }
            : undefined;
    if (claim) return refusal(this.authority, from, claim, now);
    if (msg.type === "heartbeat") {
      if (Math.abs(now - msg.atMs) > HEARTBEAT_SKEW_MS) return "heartbeat-stale";
      const before = this.members.get(from);
      if (before && msg.atMs <= before.heartbeatAtMs) return "heartbeat-replayed";
    }
    if (msg.type === "drain") return this.drainRefused(msg.drain);
    if (msg.type === "site") return this.c.sites ? this.c.sites.judge(msg.document) : "site-documents-off";
    return undefined;
  }

  /** A drain entry holds when its issuer signed it and was granted to drain (open site: always). */
  private drainRefused(e: DrainEntry): string | undefined {
    if (isOpen(this.authority)) return undefined;
    if (!e.peer || !e.sig || !verifyPeer(e.peer, drainBytes(e), e.sig)) return "drain-unsigned";
    return refusal(this.authority, e.peer, { kind: "drain", issuer: e.peer }, this.c.clock());
  }

  private drainHolds(e: DrainEntry): boolean {
    const why = this.drainRefused(e);
    if (why) this.count("rejected", why);
    return !why;
  }

  handle(topic: Parameters<typeof decode>[0], data: Uint8Array, from: PeerIdText): void {
    const known = this.accepted.get(data);
    const d = known ? ({ ok: true, msg: known } as const) : decode(topic, data);
    if (!d.ok) {
      // Our own messages skip the validator; a bad one here is a bug worth a log line.
      if (from === this.self) this.c.log.error("own message failed its schema", { reason: d.reason });
      return;
    }
    const msg = d.msg;
    // What skipped the validator (our own messages, the simulator's network) is judged here, so
    // nothing refused changes state.
    if (!known) {
      const refused = this.claimRefused(msg, from);
      if (refused) return void this.count("rejected", refused);
    }
    this.count("accepted", msg.type);
    const now = this.c.clock();
    if (msg.type === "heartbeat") {
      const before = this.members.get(from);
      this.takeRevocations(msg.revocations ?? []);
      const presented = withPresented(this.authority, from, msg.grants ?? [], now);
      this.authority = presented.authority;
      for (const why of presented.rejected) this.count("rejected", why);
      let hb = msg;
      const priorityRefused = msg.priority === undefined ? undefined : refusal(this.authority, from, { kind: "candidate", priority: msg.priority }, now);
      if (priorityRefused) {
        this.count("rejected", priorityRefused);
        hb = { ...msg, priority: undefined };
      }
      this.members = withHeartbeat(this.members, from, hb, now);
      if (msg.mapVersion !== undefined && this.mapVersions.get(from) !== msg.mapVersion) this.mapVersions = new Map(this.mapVersions).set(from, msg.mapVersion);
      // Only a granted controller's epoch can be adopted: anyone else's could push the next master's far up.
      if (!refusal(this.authority, from, { kind: "epoch" }, now)) this.noteEpoch(msg.epoch);
      let registrationChanged = false;
      if (msg.site === this.init.digest) {
        this.mergeDrains(msg.drains.filter((e) => this.drainHolds(e)));
        this.drainGossip.heard(msg.drainsDigest, this.drains);
        registrationChanged = this.takeRegistration(from, msg.register, now);
      }
      if (msg.siteVersion !== undefined && msg.site === this.init.digest) this.c.sites?.heard(msg.siteVersion, msg.siteUnfit);
      if (msg.release !== undefined && msg.site === this.init.digest && !refusal(this.authority, from, { kind: "release" }, now))
        this.releases = new Map(this.releases).set(from, msg.release);
      // Most heartbeats only say "still here": listeners hear of new, revived or changed
      // members at once, and of everything else at our own heartbeat tick.
      const news =
        !before ||
        !isLive(before, now, this.liveness) ||
        !isLive(before, now, this.candidateLiveness) ||
        before.priority !== hb.priority ||
        before.site !== msg.site ||
        registrationChanged;
      if (news) this.changed(now);
      return;
    }
    if (msg.site !== this.init.digest) {
      this.count("rejected", "site-mismatch");
      return;
    }
    switch (msg.type) {
      case "report": {
        const r = msg.report;
        if (!this.knowsServer(r.server)) return void this.count("rejected", "unknown-server");
        const prev = this.reports.get(r.server);
        if (prev && prev.from === from && r.seq <= prev.report.seq && r.atMs <= prev.report.atMs) return; // stale or duplicate
        this.reports = new Map(this.reports).set(r.server, recordReport(prev, r, from, now, this.site));
        // A report stamped now is as good a sign of life as a heartbeat (its author sends fewer of those).
        if (Math.abs(now - r.atMs) <= this.liveness.deadAfterMs) this.heard(from, now);
        const changed = prev?.report.status !== r.status;
        for (const l of this.reportListeners) l(r.server, changed);
        return;
      }
      case "assignment": {
        const a = msg.assignment;
        const prev = this.assignmentsBy.get(a.master);
        if (prev && !isNewer(a, prev.assignment)) return;
        this.assignmentsBy.set(a.master, { assignment: a, receivedAtMs: now });
        this.noteEpoch(a.epoch);
        this.follow(now);
        return;
      }
      case "drain":
        this.mergeDrains([msg.drain]);
        return;
      case "revocation":
        this.takeRevocations([msg.revocation]);
        return;
      case "records":
        for (const l of this.recordsListeners) l(msg.rrsets);
        return;
      case "site": {
        const refused = this.c.sites?.offer(msg.document, { publish: false });
        if (refused) this.count("rejected", refused);
        return;
      }
    }
  }

  /** Publishes an operator's revocation (from `walrus revoke` through the control socket). */
  revoke(r: Revocation): string | undefined {
    if (isOpen(this.authority)) return "this node has no [node] operator_keys: the site runs without grants, so there is nothing to revoke";
    const { rejected } = withRevocations(this.authority, [r]);
    if (rejected.length) return rejected.join(", ");
    this.publish({ type: "revocation", site: this.init.digest, revocation: r });
    return undefined;
  }

  /** A peer's announced registration, taken when it holds now (else refused and counted); whether it changed. */
  private takeRegistration(from: PeerIdText, r: Registration | undefined, nowMs: number): boolean {
    const before = this.registrations.get(from);
    const refused = r && registrationRefusal(r, from, this.authority, this.site, nowMs);
    if (refused) this.count("rejected", refused);
    const next = r && !refused ? r : undefined;
    if (sameRegistration(before, next)) return false;
    const m = new Map(this.registrations);
    if (next) m.set(from, next);
    else m.delete(from);
    this.registrations = m;
    return true;
  }

  /** The site with the registrations that hold at `nowMs`; kept as it was when they did not change. */
  private refreshRegistered(nowMs: number): void {
    const own = this.init.registration;
    const announced = own && !this.serverNames.has(own.server) ? new Map(this.registrations).set(this.self, own) : this.registrations;
    // The common case, every heartbeat: nothing announced, nothing registered, the same document.
    if (!announced.size && !this.registered.registered.size && this.registered.site === this.site) return;
    const next = withRegistered(this.site, announced, this.authority, nowMs);
    if (own) {
      const why = announced.has(this.self) ? registrationRefusal(own, this.self, this.authority, this.site, nowMs) : undefined;
      if (why && why !== this.ownRegistrationRefused)
        this.c.log.warn("this node's server is not registered: the site document does not list it and it may not register itself", {
          server: own.server,
          reason: why,
        });
      this.ownRegistrationRefused = why;
    }
    const before = this.registered;
    if (before.site === this.site && registeredKey(before) === registeredKey(next)) return;
    this.registered = next;
    for (const name of next.registered) if (!before.registered.has(name)) this.c.log.info("server registered itself", { server: name });
    for (const name of before.registered) if (!next.registered.has(name)) this.c.log.info("server no longer self-registered", { server: name });
  }

  private knowsServer(name: ServerName): boolean {
    return this.serverNames.has(name) || this.registered.registered.has(name);
  }

  private takeRevocations(incoming: readonly Revocation[]): void {
    if (!incoming.length || isOpen(this.authority)) return;
    const r = withRevocations(this.authority, incoming);
    for (const why of r.rejected) this.count("rejected", why);
    if (!r.added.length) return;
    this.authority = r.authority;
    for (const x of r.added) this.c.log.warn("grant revoked by the operator", { grant: x.grant, reason: x.reason });
    this.c.store.writeJson(REVOCATIONS_FILE, [...this.authority.revoked.values()]);
    this.changed(this.c.clock());
  }

  publish(msg: Message): void {
    this.lastSentMs = this.c.clock();
    this.c.bus.publish(topicOf(msg), encode(msg));
  }

  private heard(from: PeerIdText, nowMs: number): void {
    const before = this.members.get(from);
    this.members = withHeard(this.members, from, nowMs);
    if (before && !isLive(before, nowMs, this.liveness)) this.changed(nowMs);
  }

  /** `tick`: the heartbeat timer's, which on the slow pace sends only a heartbeat with news. */
  heartbeat(tick = false): void {
    const now = this.c.clock();
    const hb: HeartbeatMsg = {
      type: "heartbeat",
      site: this.init.digest,
      node: this.init.nodeName,
      roles: this.init.roles,
      epoch: this.epochSeen,
      ...this.drainGossip.outgoing(this.drains),
      atMs: now,
    };
    if (this.mapVersion !== undefined) hb.mapVersion = this.mapVersion;
    if (this.c.sites) hb.siteVersion = this.c.sites.version;
    const unfit = this.c.sites?.unfitVersion;
    if (unfit !== undefined) hb.siteUnfit = unfit;
    if (this.ownGrants.length) hb.grants = [...this.ownGrants];
    if (this.authority.revoked.size) hb.revocations = [...this.authority.revoked.values()];
    const own = this.init.registration;
    if (own && !this.serverNames.has(own.server)) hb.register = own;
    const release = this.c.release?.();
    if (release) hb.release = release;
    // A candidate stands only once it has heard the site for a full dead_after_ms: before
    // that it knows too few reports, and its first rounds would move areas for no reason.
    if (this.init.priority !== undefined && now - this.startedMs >= this.site.deadAfterMs) hb.priority = this.init.priority;
    this.sendBeat(hb, tick);
    this.members = withoutLongDead(this.members, now, FORGET_AFTER_MS);
    // What is kept per peer is forgotten with the member: nothing grows with peers that come and go.
    const known = (peer: PeerIdText) => peer === this.self || this.members.has(peer);
    this.mapVersions = onlyPeers(this.mapVersions, known);
    this.releases = onlyPeers(this.releases, known);
    this.registrations = onlyPeers(this.registrations, known);
    for (const peer of this.assignmentsBy.keys()) if (!known(peer)) this.assignmentsBy.delete(peer);
    this.changed(now); // liveness changes with time alone
  }

  private sendBeat(hb: HeartbeatMsg, tick: boolean): void {
    const pace = this.init.quietPaceMs;
    if (pace === undefined) return this.publish(hb);
    const { atMs, ...rest } = hb;
    const next = { said: JSON.stringify(rest), carriesDrains: hb.drains.length > 0 };
    if (tick && this.beatSent && !beatDue(this.beatSent, next, atMs - this.lastSentMs, pace)) return void this.beatSent.skipped++;
    this.beatSent = { said: next.said, skipped: 0 };
    this.publish(hb);
  }

  /** The site as known at `nowMs`: read it, never keep it past the tick that took it. */
  snapshot(nowMs: number): SiteSnapshot {
    const { site, registered } = this.registered;
    const self = this.self;
    const live = (peer: PeerIdText) => peer === self || isLiveAt(this.members.get(peer), nowMs, this.liveness);
    const reports = this.reports;
    const drains = this.drains;
    const own = this.c.release?.();
    const current = newestRelease([...[...this.releases].filter(([peer]) => live(peer)).map(([, r]) => r), ...(own ? [own] : [])]);
    let servers: readonly ServerView[] | undefined;
    return {
      atMs: nowMs,
      self,
      members: this.members,
      master: this.masterAt(nowMs),
      site,
      selfRegistered: registered,
      // Judged on first use only: most readers want the master alone.
      get servers() {
        servers ??= markLagging(
          markStale(
            serverViews(site.servers, reports, drains, live, nowMs, {
              loadTerms: site.loadTerms,
              deadAfterMs: site.deadAfterMs,
              tempfailReuseMs: site.tempfailReuseMs,
            }),
            (s) => reports.get(s)?.report.release,
            current,
            nowMs,
            site.contentGraceMs,
          ),
          (s) => reports.get(s)?.report.contentTimeMs,
          site.contentGraceMs,
        );
        return servers;
      },
      reports,
      drains,
      followed: this.followed,
      own: this.assignmentsBy.get(self)?.assignment,
      cooling: coolingClusters(this.clusterChangedAtMs, nowMs, site.cooldownRounds * site.roundIntervalMs),
      epochSeen: this.epochSeen,
      mapVersions: this.mapVersions,
      counters: this.counters,
      authority: this.authority,
      isLive: live,
    };
  }

  /** The node file was read again (SIGHUP): the operator keys it trusts and the grants its
   * heartbeats present from now on. */
  setAuthority(operatorKeys: readonly string[], grants: readonly Grant[]): void {
    const now = this.c.clock();
    this.authority = withTrusted(this.authority, operatorKeys, now);
    const own = withPresented(this.authority, this.self, grants, now);
    for (const why of own.rejected) this.c.log.warn("this node's own grant does not hold: other nodes will refuse what it claims", { reason: why });
    this.authority = own.authority;
    this.ownGrants = grants;
    this.changed(now);
  }

  /** A newer site document was adopted: servers, timers, liveness and the map version announced follow it from now on. */
  adoptSite(site: Site, mapVersion?: string): void {
    this.site = site;
    this.mapVersion = mapVersion;
    this.serverNames = new Set(site.servers.map((s) => s.name));
    this.liveness = livenessOf(site);
    this.candidateLiveness = { ...this.liveness, deadAfterMs: site.candidateDeadAfterMs };
    this.changed(this.c.clock());
  }

  /** Records an epoch this node starts as master with, durably, before any assignment uses it. */
  claimEpoch(): number {
    this.epochSeen += 1;
    this.c.store.writeJson(EPOCH_FILE, this.epochSeen);
    return this.epochSeen;
  }

  drain(server: ServerName, drained: boolean, reason: string, by: string): DrainEntry {
    const entry: DrainEntry = { server, drained, reason, atMs: this.c.clock(), by };
    if (this.c.signer) {
      entry.peer = this.self;
      entry.sig = this.c.signer(drainBytes(entry));
    }
    this.publish({ type: "drain", site: this.init.digest, drain: entry });
    return entry;
  }

  /** Called when membership or liveness may have changed; listeners compare what they need.
   * Returns the unsubscribe: a role started again on a newer site document drops the old one's. */
  onChange(l: () => void): () => void {
    this.listeners.push(l);
    return removing(this.listeners, l);
  }
  /** Records accepted from RFC 2136 updates by some nameserver of the site. */
  onRecords(l: (rrsets: readonly DynamicRrset[]) => void): void {
    this.recordsListeners.push(l);
  }

  /** Returns the unsubscribe, as onChange. */
  onReport(l: (server: ServerName, statusChanged: boolean) => void): () => void {
    this.reportListeners.push(l);
    return removing(this.reportListeners, l);
  }
  /** Called when the assignment in force changes (a newer one, or another master's). */
  onFollow(l: () => void): void {
    this.followListeners.push(l);
  }

  private masterAt(nowMs: number): PeerIdText | undefined {
    return masterOf(this.members, this.init.digest, nowMs, this.candidateLiveness);
  }

  /** Follows the newest assignment of the master of our own view, never an older one from the same master. */
  private follow(nowMs: number): void {
    const master = this.masterAt(nowMs);
    const cur = this.followed;
    const next = nextFollowed(cur, master ? this.assignmentsBy.get(master) : undefined, nowMs, FRESH_ROUNDS * this.site.roundIntervalMs);
    if (!next || next === cur) return;
    this.clusterChangedAtMs = withClusterChanges(this.clusterChangedAtMs, cur?.assignment, next.assignment, next.receivedAtMs);
    if (cur?.assignment.master !== next.assignment.master)
      this.c.log.info("following the master's assignments", { master: next.assignment.master, epoch: next.assignment.epoch, seq: next.assignment.seq });
    this.followed = next;
    for (const l of this.followListeners) l();
  }

  private changed(nowMs: number): void {
    this.refreshRegistered(nowMs);
    const m = this.masterAt(nowMs);
    if (m !== this.lastMaster) {
      this.c.log.info("master changed", { master: m ?? "(none)", node: m ? (this.members.get(m)?.node ?? "?") : "-", epochSeen: this.epochSeen });
      this.lastMaster = m;
      this.follow(nowMs);
    }
    for (const l of this.listeners) l();
  }

  private mergeDrains(entries: readonly DrainEntry[]): void {
    const known = this.registered.registered.size ? new Set([...this.serverNames, ...this.registered.registered]) : this.serverNames;
    const next = mergeDrains(this.drains, entries, known);
    if (!next) return;
    for (const e of entries) {
      if (next.get(e.server) === e) this.c.log.info(e.drained ? "server drained" : "server undrained", { server: e.server, reason: e.reason, by: e.by });
    }
    this.drains = next;
    this.drainGossip.sendNext();
    this.c.store.writeJson(DRAINS_FILE, [...next.values()]);
    for (const l of this.reportListeners) l(entries[0]?.server as ServerName, true);
  }

  private noteEpoch(epoch: number): void {
    if (epoch > this.epochSeen) this.epochSeen = epoch;
  }

  private count(kind: keyof Counters, key: string): void {
    const table = this.counters[kind];
    this.counters = { ...this.counters, [kind]: { ...table, [key]: (table[key] ?? 0) + 1 } };
  }
}

function sameRegistration(a: Registration | undefined, b: Registration | undefined): boolean {
  return a === b || (!!a && !!b && a.server === b.server && a.area === b.area && a.addresses.join() === b.addresses.join());
}

/** What a drain's issuer signs: the entry without its signature. */
function drainBytes(e: DrainEntry): Uint8Array {
  return signedBytes("drain", { ...e, sig: undefined });
}

/** A live member's next heartbeat (through any path) arrives within 1.5 intervals. */
function livenessOf(site: Site): Liveness {
  return { deadAfterMs: site.deadAfterMs, graceMs: 1.5 * site.heartbeatIntervalMs };
}

/** The same map when every peer is kept, else a copy without the others. */
function onlyPeers<V>(m: ReadonlyMap<PeerIdText, V>, keep: (peer: PeerIdText) => boolean): ReadonlyMap<PeerIdText, V> {
  return [...m.keys()].every(keep) ? m : new Map([...m].filter(([peer]) => keep(peer)));
}

function isLiveAt(m: Member | undefined, nowMs: number, rules: Liveness): boolean {
  return m !== undefined && isLive(m, nowMs, rules);
}

/** Takes `l` out of `list` when called (again: nothing). */
function removing<T>(list: T[], l: T): () => void {
  return () => {
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
  };
}
