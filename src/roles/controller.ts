// Controller role: every candidate keeps the same knowledge; the master of its own view runs
// the four phases each round and publishes an assignment for every area.
//
// Leadership rules:
// - A node stands as a candidate (announces its priority) only after it has listened to the
//   site for dead_after_ms, so that a fresh or restarted node never decides on partial reports;
//   until then the current master keeps deciding.
// - A candidate acts as master only after it has been first in its view for one heartbeat
//   interval (a view still settling after a start or a lost connection must not produce two
//   masters' assignments).
// - On taking over it claims a new epoch above every epoch it has seen, writes it to the
//   state directory, and runs a round at once; seq then counts rounds within the epoch.
// - It steps down the moment its view puts another candidate first.
// - Besides the fixed rounds, a report whose status changed (a server died, panicked,
//   recovered) triggers an early round, so failover does not wait for the next tick.
import { decide } from "../assign/decide.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import type { Notifier } from "./notifier.ts";
import type { SiteView } from "./site-view.ts";

/** Coalesces report-triggered rounds that arrive together. */
const EARLY_ROUND_DELAY_MS = 20;

export interface ControllerInit {
  site: Site;
  digest: string;
  view: SiteView;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
}

export interface Controller {
  isMaster(): boolean;
  stop(): void;
}

export function startController(init: ControllerInit): Controller {
  const { site, view, clock, log } = init;
  const areas = site.areas.map((a) => a.name);
  let firstSinceMs: number | undefined;
  let epoch = 0;
  let seq = 0;
  let acting = false;
  let notifiedPanics = new Set<ServerName>();
  let early: ReturnType<typeof setTimeout> | undefined;

  /** Where each area pointed last: our own last round, else the master we followed. */
  const previous = (): Map<AreaName, AreaName> => {
    let latest: Assignment | undefined;
    for (const a of view.assignmentsBy.values()) {
      if (!latest || a.epoch > latest.epoch || (a.epoch === latest.epoch && a.atMs > latest.atMs)) latest = a;
    }
    return new Map((latest?.areas ?? []).map((a) => [a.area, a.cluster]));
  };

  const round = () => {
    const now = clock();
    const first = view.master() === view.self;
    if (!first) {
      firstSinceMs = undefined;
      if (acting) log.info("stepping down", { master: view.master() ?? "(none)" });
      acting = false;
      return;
    }
    firstSinceMs ??= now;
    if (!acting) {
      if (now - firstSinceMs < site.heartbeatIntervalMs) return;
      acting = true;
      epoch = view.claimEpoch();
      seq = 0;
      log.info("taking over as master", { epoch });
    }
    const servers = view.serverViews();
    const decision = decide({ areas, servers, previous: previous(), threshold: site.loadThreshold, margin: site.balanceMargin });

    // Phase One: tell a human once per PANIC episode, not every round.
    const panicking = new Set(decision.panics.map((s) => s.name));
    for (const s of decision.panics) {
      if (!notifiedPanics.has(s.name)) init.notifier.panic(s);
    }
    notifiedPanics = panicking;

    const assignment: Assignment = { master: view.self, epoch, seq: ++seq, atMs: now, areas: decision.areas };
    for (const a of decision.areas) {
      const before = previous().get(a.area);
      if (before !== undefined && before !== a.cluster) log.info("area moved", { area: a.area, from: before, to: a.cluster, reason: a.reason, detail: a.detail });
    }
    view.publish({ type: "assignment", site: init.digest, assignment });
  };

  const timer = setInterval(round, site.roundIntervalMs);
  // Taking over must not wait for a full round: check as soon as the view changes.
  const soon = () => {
    if (early) return;
    early = setTimeout(() => {
      early = undefined;
      round();
    }, EARLY_ROUND_DELAY_MS);
  };
  view.onChange(() => {
    if ((view.master() === view.self) !== acting) soon();
  });
  view.onReport((_server, changed) => {
    if (changed && acting) soon();
  });
  // A new candidate waits out the settle time, then checks again.
  const settle = setInterval(() => {
    if (!acting && view.master() === view.self) round();
  }, Math.max(50, Math.floor(site.heartbeatIntervalMs / 2)));

  return {
    isMaster: () => acting,
    stop() {
      clearInterval(timer);
      clearInterval(settle);
      if (early) clearTimeout(early);
    },
  };
}
