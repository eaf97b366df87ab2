// Watches the site view from the outside (no role calls into it): keeps the decision log on
// every node, counts the master's rounds, and on the master turns what it sees into notices.
import type { Clock } from "../core/clock.ts";
import type { Timers } from "../core/timers.ts";
import type { Assignment, PeerIdText, ServerName, Site } from "../core/types.ts";
import type { Notifier } from "./notifier.ts";
import type { SiteSnapshot, SiteView } from "../roles/site-view.ts";
import { diffAssignments, Ring, type DecisionEntry } from "./decision-log.ts";
import { deadSince } from "./notify-policy.ts";

/** Decisions kept for `walrus status` and the status page. */
const DECISIONS_KEPT = 200;

export interface WatchInit {
  site: Site;
  view: SiteView;
  clock: Clock;
  timers: Timers;
  notifier: Notifier;
  /** Only a controller candidate can become master, and only the master notifies. */
  candidate: boolean;
  deadForMs: number;
  /** A server stale this long is worth a human's attention. */
  staleForMs: number;
  onRound?: (durationMs: number) => void;
  onDecision?: (d: DecisionEntry) => void;
}

export interface Watch {
  decisions(): DecisionEntry[];
  stop(): void;
}

export function startWatch(init: WatchInit): Watch {
  const { view, clock, notifier } = init;
  const log = new Ring<DecisionEntry>(DECISIONS_KEPT);
  let followed: Assignment | undefined;
  let ownSeen: Assignment | undefined;
  let lastMaster = view.snapshot(clock()).master;
  let dead = new Map<ServerName, number>();
  let active = new Set<string>();
  const forced = new Map<string, { cluster: string; detail: string }>();

  const nodeOf = (s: SiteSnapshot, peer: PeerIdText | undefined) => (peer ? (s.members.get(peer)?.node ?? peer) : "none");

  const onFollow = () => {
    const s = view.snapshot(clock());
    const own = s.own;
    if (own && own !== ownSeen) {
      ownSeen = own;
      init.onRound?.(Math.max(0, s.atMs - own.atMs));
    }
    const a = s.followed?.assignment;
    if (!a || a === followed) return;
    const entries = diffAssignments(followed, a);
    followed = a;
    log.push(...entries);
    for (const e of entries) init.onDecision?.(e);
    check(s);
  };

  /** On the master: notices for episodes that start now. */
  const check = (s: SiteSnapshot = view.snapshot(clock())) => {
    if (!init.candidate) return; // a reporter-only node never becomes master
    const now = s.atMs;
    const master = s.master;
    const isMaster = master === s.self;
    if (master !== lastMaster) {
      if (isMaster) notifier.notify({ event: "master-change", reason: `${nodeOf(s, master)} is master now (was ${nodeOf(s, lastMaster)})` });
      lastMaster = master;
    }
    const views = s.servers;
    dead = deadSince(dead, views, now);
    if (!isMaster) {
      active = new Set();
      forced.clear();
      return;
    }
    const next = new Set<string>();
    const start = (key: string, send: () => void) => {
      next.add(key);
      if (!active.has(key)) send();
    };
    for (const s of views) {
      if (s.state === "panic") start(`panic|${s.name}`, () => notifier.panic(s));
      const since = dead.get(s.name);
      if (since !== undefined && now - since >= init.deadForMs) {
        start(`dead|${s.name}`, () =>
          notifier.notify({
            event: "dead",
            server: s.name,
            cluster: s.cluster,
            reason: `dead for ${Math.round((now - since) / 1000)} s (${s.reason ?? "no reports"})`,
          }),
        );
      }
      if (s.stale && now - s.stale.sinceMs >= init.staleForMs)
        start(`stale|${s.name}`, () => notifier.notify({ event: "stale", server: s.name, cluster: s.cluster, reason: s.reason ?? "stale" }));
    }
    // Phase Three moved an area because its cluster has no functioning server; the episode
    // lasts while the area stays there, whatever later rounds call it ("kept").
    for (const a of s.own?.areas ?? []) {
      if (a.reason === "availability") forced.set(a.area, { cluster: a.cluster, detail: a.detail });
      else if (forced.get(a.area)?.cluster !== a.cluster) forced.delete(a.area);
    }
    for (const [area, f] of forced)
      start(`forced|${area}|${f.cluster}`, () => notifier.notify({ event: "forced", area, cluster: f.cluster, reason: f.detail }));
    active = next;
  };

  view.onFollow(onFollow);
  return {
    decisions: () => log.newest(),
    stop: init.timers.every(Math.min(1000, init.site.roundIntervalMs), () => check()),
  };
}
