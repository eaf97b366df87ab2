// Watches the site view from the outside (no role calls into it): keeps the decision log on
// every node, counts the master's rounds, and on the master turns what it sees into notices.
import type { Clock } from "../core/clock.ts";
import type { Timers } from "../core/timers.ts";
import type { Assignment, PeerIdText, ServerName, Site } from "../core/types.ts";
import type { Notifier } from "./notifier.ts";
import type { SiteView } from "../roles/site-view.ts";
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
  let lastMaster = view.master();
  let dead = new Map<ServerName, number>();
  let active = new Set<string>();
  const forced = new Map<string, { cluster: string; detail: string }>();

  const nodeOf = (peer: PeerIdText | undefined) => (peer ? (view.members.get(peer)?.node ?? peer) : "none");

  const onFollow = () => {
    const own = view.assignmentsBy.get(view.self)?.assignment;
    if (own && own !== ownSeen) {
      ownSeen = own;
      init.onRound?.(Math.max(0, clock() - own.atMs));
    }
    const a = view.followed?.assignment;
    if (!a || a === followed) return;
    const entries = diffAssignments(followed, a);
    followed = a;
    log.push(...entries);
    for (const e of entries) init.onDecision?.(e);
    check();
  };

  /** On the master: notices for episodes that start now. */
  const check = () => {
    if (!init.candidate) return; // a reporter-only node never becomes master
    const now = clock();
    const master = view.master();
    const isMaster = master === view.self;
    if (master !== lastMaster) {
      if (isMaster) notifier.notify({ event: "master-change", reason: `${nodeOf(master)} is master now (was ${nodeOf(lastMaster)})` });
      lastMaster = master;
    }
    const views = view.serverViews();
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
        start(`dead|${s.name}`, () => notifier.notify({ event: "dead", server: s.name, cluster: s.cluster, reason: `dead for ${Math.round((now - since) / 1000)} s (${s.reason ?? "no reports"})` }));
      }
    }
    // Phase Three moved an area because its cluster has no functioning server; the episode
    // lasts while the area stays there, whatever later rounds call it ("kept").
    for (const a of view.assignmentsBy.get(view.self)?.assignment.areas ?? []) {
      if (a.reason === "availability") forced.set(a.area, { cluster: a.cluster, detail: a.detail });
      else if (forced.get(a.area)?.cluster !== a.cluster) forced.delete(a.area);
    }
    for (const [area, f] of forced) start(`forced|${area}|${f.cluster}`, () => notifier.notify({ event: "forced", area, cluster: f.cluster, reason: f.detail }));
    active = next;
  };

  view.onFollow(onFollow);
  return {
    decisions: () => log.newest(),
    stop: init.timers.every(Math.min(1000, init.site.roundIntervalMs), check),
  };
}
