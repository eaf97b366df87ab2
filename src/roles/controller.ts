// Controller role: every candidate keeps the same knowledge; the master of its own view runs
// the four phases each round and publishes an assignment for every area.
//
// Leadership rules (README "Leadership" says what each rule does under each fault):
// - A node stands as a candidate (announces its priority) only after it has listened to the
//   site for dead_after_ms, so that a fresh or restarted node never decides on partial reports;
//   until then the current master keeps deciding.
// - A candidate acts as master only after it has been first in its view for master_settle_ms
//   (a view still settling after a start or a lost connection must not produce two masters'
//   assignments).
// - On taking over it claims an epoch above every epoch it has seen, writes it to the state
//   directory, and runs a round at once; seq then counts rounds within the epoch.
// - It steps down the moment its view puts another candidate first.
// - A newer site document is taken as it runs (adoptSite): the next round decides on its areas,
//   limits and timers under the same epoch; nothing in it calls for a new master or epoch.
// - Besides the fixed rounds, a report whose status changed (a server died, panicked,
//   recovered) or a drain triggers an early round, so failover does not wait for the tick.
import { decide } from "../assign/decide.ts";
import { spillSettleMs } from "../assign/spill.ts";
import { steadyOrder } from "../assign/steady-order.ts";
import { spillChanges } from "../assign/spill-text.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import { DEFAULT_MAX_ANSWER_ADDRESSES } from "../dns/limits.ts";
import type { AreaAssignment, AreaName, Assignment, Site } from "../core/types.ts";
import { sameAnswers } from "./served-assignment.ts";
import type { SiteSnapshot, SiteView } from "./site-view.ts";

/** Coalesces report-triggered rounds that arrive together. */
const EARLY_ROUND_DELAY_MS = 20;
/** An assignment that answers as the last one did is published only every this many rounds:
 * followers adopt another master's assignment only within 3 rounds of hearing it (FRESH_ROUNDS
 * in site-view.ts), and a node that just joined learns the answers within 2 rounds. */
const REFRESH_ROUNDS = 2;

export interface ControllerInit {
  site: Site;
  digest: string;
  /** Called with every assignment this controller publishes (the simulator checks them). */
  onDecision?: (a: Assignment) => void;
}

export interface ControllerComponents {
  view: SiteView;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

export interface Controller {
  /** A newer site document: the next round uses it; the epoch and seq go on. */
  adoptSite(site: Site): void;
  stop(): void;
}

export function startController(init: ControllerInit, c: ControllerComponents): Controller {
  let site = init.site;
  const { view, clock, timers, log } = c;
  let areas = site.areas.map((a) => a.name);
  let firstSinceMs: number | undefined;
  let epoch = 0;
  let seq = 0;
  let acting = false;
  let last: Assignment | undefined;
  let unchangedRounds = 0;
  let cancelEarly: (() => void) | undefined;

  /** Each area now (where it points, its spill shares): the assignment in force here, else our own last one. */
  const inForce = (s: SiteSnapshot): Map<AreaName, AreaAssignment> => new Map(((s.followed?.assignment ?? last)?.areas ?? []).map((x) => [x.area, x]));
  const isMaster = () => {
    const s = view.snapshot(clock());
    return s.master === s.self;
  };

  const round = () => {
    const now = clock();
    const s = view.snapshot(now);
    if (s.master !== s.self) {
      firstSinceMs = undefined;
      if (acting) log.info("stepping down", { master: s.master ?? "(none)" });
      acting = false;
      return;
    }
    firstSinceMs ??= now;
    if (!acting) {
      const settleLeftMs = site.masterSettleMs - (now - firstSinceMs);
      if (settleLeftMs > 0) return soon(settleLeftMs);
      acting = true;
      epoch = view.claimEpoch();
      seq = 0;
      log.info("taking over as master", { epoch });
    }
    const beforeAreas = inForce(s);
    const before = new Map([...beforeAreas].map(([area, x]) => [area, x.cluster]));
    const spill = site.spillStep > 0 ? { previous: beforeAreas, nowMs: now, settleMs: spillSettleMs(site), step: site.spillStep } : undefined;
    const decision = decide({
      areas,
      servers: s.servers,
      previous: before,
      threshold: site.loadThreshold,
      margin: site.balanceMargin,
      cooling: s.cooling,
      spill,
    });

    for (const a of decision.areas) {
      const was = before.get(a.area);
      if (was !== undefined && was !== a.cluster) log.info("area moved", { area: a.area, from: was, to: a.cluster, reason: a.reason, detail: a.detail });
      for (const step of spillChanges(beforeAreas.get(a.area), a)) log.info("spill step", { area: a.area, step });
    }
    const next: Assignment = {
      master: s.self,
      epoch,
      seq: seq + 1,
      atMs: now,
      areas: steadyOrder(site, site.maxAnswerAddresses ?? DEFAULT_MAX_ANSWER_ADDRESSES, last?.areas, decision.areas),
    };
    if (last?.epoch === epoch && sameAnswers(last, next) && ++unchangedRounds < REFRESH_ROUNDS) return;
    unchangedRounds = 0;
    seq = next.seq;
    last = next;
    view.publish({ type: "assignment", site: init.digest, assignment: last });
    init.onDecision?.(last);
  };

  /** One round soon; a round already due runs instead (it schedules another if it must wait). */
  const soon = (delayMs = EARLY_ROUND_DELAY_MS) => {
    if (cancelEarly) return;
    cancelEarly = timers.after(delayMs, () => {
      cancelEarly = undefined;
      round();
    });
  };
  let stopRounds = timers.every(site.roundIntervalMs, round);
  // Taking over or stepping down must not wait for a full round.
  const offChange = view.onChange(() => {
    if (isMaster() !== acting) soon();
  });
  const offReport = view.onReport((_server, changed) => {
    if (changed && acting) soon();
  });

  return {
    adoptSite(next) {
      const interval = site.roundIntervalMs;
      site = next;
      areas = next.areas.map((a) => a.name);
      if (next.roundIntervalMs !== interval) {
        stopRounds();
        stopRounds = timers.every(next.roundIntervalMs, round);
      }
      if (acting) soon(); // an added area or server answered without waiting for the round
    },
    // Every way back in goes: a stopped controller (one started again on a newer site document)
    // that still heard the view would take over beside its successor, with an epoch of its own.
    stop() {
      offChange();
      offReport();
      stopRounds();
      cancelEarly?.();
    },
  };
}
