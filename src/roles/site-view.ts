// What this node knows of the site: members, drains, server reports and the master's latest
// assignment. Every role reads it; only this class writes it. The decisions stay pure
// (membership/view.ts, assign/server-view.ts, state/drains.ts); this is their stateful shell.
import { recordReport, serverViews, type ReportRecord } from "../assign/server-view.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { AreaName, Assignment, DrainEntry, PeerIdText, ServerName, ServerView, Site } from "../core/types.ts";
import type { Bus } from "../net/bus.ts";
import { decode, encode, topicOf, type HeartbeatMsg, type Message } from "../net/messages.ts";
import { isLive, masterOf, withDisconnect, withHeartbeat, withoutLongDead, type Liveness, type Members } from "../membership/view.ts";
import { mergeDrains, type Drains } from "../state/drains.ts";
import type { StateStore } from "../state/store.ts";

const DRAINS_FILE = "drains.json";
const EPOCH_FILE = "epoch.json";
/** A master's assignment older than this many rounds is not adopted on a change of master. */
const FRESH_ROUNDS = 3;
/** Members silent this long are dropped from the table (and from `walrus status`). */
const FORGET_AFTER_MS = 10 * 60_000;

export interface Counters {
  accepted: Record<string, number>;
  rejected: Record<string, number>;
}

export interface SiteViewInit {
  site: Site;
  digest: string;
  nodeName: string;
  roles: HeartbeatMsg["roles"];
  priority?: number;
  /** The location map's version, announced in every heartbeat. */
  mapVersion?: string;
  bus: Bus;
  state: StateStore;
  clock: Clock;
  log: Logger;
}

export class SiteView {
  members: Members = new Map();
  drains: Drains = new Map();
  readonly reports = new Map<ServerName, ReportRecord>();
  /** The newest assignment heard from each master, kept so a view change can apply it at once. */
  readonly assignmentsBy = new Map<PeerIdText, { assignment: Assignment; receivedAtMs: number }>();
  /** The assignment in force here: the newest from the master of this node's own view. */
  followed: { assignment: Assignment; receivedAtMs: number } | undefined;
  /** When each cluster last received or lost an area in a followed assignment (for cooldown). */
  readonly clusterChangedAtMs = new Map<AreaName, number>();
  epochSeen = 0;
  /** Each member's location map version, from its heartbeats. */
  readonly mapVersions = new Map<PeerIdText, string>();
  readonly counters: Counters = { accepted: {}, rejected: {} };
  private readonly listeners: (() => void)[] = [];
  private readonly reportListeners: ((server: ServerName, changed: boolean) => void)[] = [];
  private readonly followListeners: (() => void)[] = [];
  private readonly serverNames: Set<string>;
  private lastMaster: PeerIdText | undefined;
  readonly liveness: Liveness;
  /** Candidates are judged faster than other members: a frozen master must be replaced quickly. */
  readonly candidateLiveness: Liveness;
  private readonly startedMs: number;

  constructor(private readonly init: SiteViewInit) {
    this.serverNames = new Set(init.site.servers.map((s) => s.name));
    this.startedMs = init.clock();
    // A live member's next heartbeat (through any path) arrives within 1.5 intervals.
    this.liveness = { deadAfterMs: init.site.deadAfterMs, graceMs: 1.5 * init.site.heartbeatIntervalMs };
    this.candidateLiveness = { ...this.liveness, deadAfterMs: init.site.candidateDeadAfterMs };
    const saved = init.state.readJson(DRAINS_FILE);
    if (Array.isArray(saved)) this.drains = mergeDrains(new Map(), saved as DrainEntry[], this.serverNames) ?? new Map();
    const epoch = init.state.readJson(EPOCH_FILE);
    if (typeof epoch === "number" && Number.isSafeInteger(epoch)) this.epochSeen = epoch;
    init.bus.onPeer((e) => {
      init.log.debug(e.connected ? "peer connected" : "peer disconnected", { peer: e.peer, node: this.members.get(e.peer)?.node ?? "?" });
      if (!e.connected) {
        this.members = withDisconnect(this.members, e.peer, init.clock());
        this.changed();
      }
    });
  }

  get self(): PeerIdText {
    return this.init.bus.self;
  }

  /** Gossipsub validator: decodes and counts; a rejected message is not forwarded. */
  accept(topic: Parameters<typeof decode>[0], data: Uint8Array): boolean {
    const d = decode(topic, data);
    if (!d.ok) this.count("rejected", d.reason);
    return d.ok;
  }

  handle(topic: Parameters<typeof decode>[0], data: Uint8Array, from: PeerIdText): void {
    const d = decode(topic, data);
    if (!d.ok) {
      // Our own messages skip the validator; a bad one here is a bug worth a log line.
      if (from === this.self) this.init.log.error("own message failed its schema", { reason: d.reason });
      return;
    }
    const msg = d.msg;
    this.count("accepted", msg.type);
    const now = this.init.clock();
    if (msg.type === "heartbeat") {
      const before = this.members.get(from);
      this.members = withHeartbeat(this.members, from, msg, now);
      if (msg.mapVersion !== undefined) this.mapVersions.set(from, msg.mapVersion);
      this.noteEpoch(msg.epoch);
      if (msg.site === this.init.digest) this.mergeDrains(msg.drains);
      // Most heartbeats only say "still here": listeners hear of new, revived or changed
      // members at once, and of everything else at our own heartbeat tick.
      const news = !before || !isLive(before, now, this.liveness) || !isLive(before, now, this.candidateLiveness) || before.priority !== msg.priority || before.site !== msg.site;
      if (news) this.changed();
      return;
    }
    if (msg.site !== this.init.digest) {
      this.count("rejected", "site-mismatch");
      return;
    }
    switch (msg.type) {
      case "report": {
        const r = msg.report;
        if (!this.serverNames.has(r.server)) return void this.count("rejected", "unknown-server");
        const prev = this.reports.get(r.server);
        if (prev && prev.from === from && r.seq <= prev.report.seq && r.atMs <= prev.report.atMs) return; // stale or duplicate
        this.reports.set(r.server, recordReport(prev, r, from, now, this.init.site.loadTerms));
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
        this.follow();
        return;
      }
      case "drain":
        this.mergeDrains([msg.drain]);
        return;
    }
  }

  publish(msg: Message): void {
    this.init.bus.publish(topicOf(msg), encode(msg));
  }

  heartbeat(): void {
    const hb: HeartbeatMsg = {
      type: "heartbeat",
      site: this.init.digest,
      node: this.init.nodeName,
      roles: this.init.roles,
      epoch: this.epochSeen,
      drains: [...this.drains.values()],
      atMs: this.init.clock(),
    };
    if (this.init.mapVersion !== undefined) hb.mapVersion = this.init.mapVersion;
    // A candidate stands only once it has heard the site for a full dead_after_ms: before
    // that it knows too few reports, and its first rounds would move areas for no reason.
    if (this.init.priority !== undefined && hb.atMs - this.startedMs >= this.init.site.deadAfterMs) hb.priority = this.init.priority;
    this.publish(hb);
    this.members = withoutLongDead(this.members, this.init.clock(), FORGET_AFTER_MS);
    this.changed(); // liveness changes with time alone
  }

  isLive(peer: PeerIdText): boolean {
    if (peer === this.self) return true;
    const m = this.members.get(peer);
    return m !== undefined && isLive(m, this.init.clock(), this.liveness);
  }

  master(): PeerIdText | undefined {
    return masterOf(this.members, this.init.digest, this.init.clock(), this.candidateLiveness);
  }

  serverViews(): ServerView[] {
    return serverViews(this.init.site.servers, this.reports, this.drains, (p) => this.isLive(p), this.init.clock(), {
      loadTerms: this.init.site.loadTerms,
      deadAfterMs: this.init.site.deadAfterMs,
      tempfailReuseMs: this.init.site.tempfailReuseMs,
    });
  }

  /** Records an epoch this node starts as master with, durably, before any assignment uses it. */
  claimEpoch(): number {
    this.epochSeen += 1;
    this.init.state.writeJson(EPOCH_FILE, this.epochSeen);
    return this.epochSeen;
  }

  drain(server: ServerName, drained: boolean, reason: string, by: string): DrainEntry {
    const entry: DrainEntry = { server, drained, reason, atMs: this.init.clock(), by };
    this.publish({ type: "drain", site: this.init.digest, drain: entry });
    return entry;
  }

  /** Called when membership or liveness may have changed; listeners compare what they need. */
  onChange(l: () => void): void {
    this.listeners.push(l);
  }
  onReport(l: (server: ServerName, statusChanged: boolean) => void): void {
    this.reportListeners.push(l);
  }
  /** Called when the assignment in force changes (a newer one, or another master's). */
  onFollow(l: () => void): void {
    this.followListeners.push(l);
  }

  /** Follows the newest assignment of the master of our own view, never an older one from the same master. */
  private follow(): void {
    const master = this.master();
    const next = master ? this.assignmentsBy.get(master) : undefined;
    const cur = this.followed;
    if (!next || next === cur) return;
    if (cur && cur.assignment.master === next.assignment.master && !isNewer(next.assignment, cur.assignment)) return;
    // Another master's assignment is adopted only while fresh: one left from an earlier reign
    // (a view that flickers to a former master) would bring back long-gone answers.
    if (cur && cur.assignment.master !== next.assignment.master && this.init.clock() - next.receivedAtMs > FRESH_ROUNDS * this.init.site.roundIntervalMs) return;
    if (cur) {
      const before = new Map(cur.assignment.areas.map((x) => [x.area, x.cluster]));
      for (const x of next.assignment.areas) {
        const was = before.get(x.area);
        if (was !== undefined && was !== x.cluster) {
          this.clusterChangedAtMs.set(was, next.receivedAtMs);
          this.clusterChangedAtMs.set(x.cluster, next.receivedAtMs);
        }
      }
    }
    if (cur?.assignment.master !== next.assignment.master) this.init.log.info("following the master's assignments", { master: next.assignment.master, epoch: next.assignment.epoch, seq: next.assignment.seq });
    this.followed = next;
    for (const l of this.followListeners) l();
  }

  private changed(): void {
    const m = this.master();
    if (m !== this.lastMaster) {
      this.init.log.info("master changed", { master: m ?? "(none)", node: m ? (this.members.get(m)?.node ?? "?") : "-", epochSeen: this.epochSeen });
      this.lastMaster = m;
      this.follow();
    }
    for (const l of this.listeners) l();
  }

  private mergeDrains(entries: readonly DrainEntry[]): void {
    const next = mergeDrains(this.drains, entries, this.serverNames);
    if (!next) return;
    for (const e of entries) {
      if (next.get(e.server) === e) this.init.log.info(e.drained ? "server drained" : "server undrained", { server: e.server, reason: e.reason, by: e.by });
    }
    this.drains = next;
    this.init.state.writeJson(DRAINS_FILE, [...next.values()]);
    for (const l of this.reportListeners) l(entries[0]?.server as ServerName, true);
  }

  private noteEpoch(epoch: number): void {
    if (epoch > this.epochSeen) this.epochSeen = epoch;
  }

  private count(kind: keyof Counters, key: string): void {
    this.counters[kind][key] = (this.counters[kind][key] ?? 0) + 1;
  }
}

/** Orders two assignments of one master: epoch first, then sequence. */
export function isNewer(a: Assignment, b: Assignment): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}
