// Learning where resolvers are (issue 18), the stateful shell: once a second this area's
// nameserver notes the busy resolver prefixes the hand-made map does not cover, probes those the
// plan says are due (from a child process: prober-process.ts), gossips the round trips, and
// applies the learning rule to every sample heard (its own arrive through the bus like everyone
// else's, so all nameservers derive the same map).

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { AreaName, PeerIdText } from "../core/types.ts";
import type { Bus } from "../net/bus.ts";
import { decode, encode, LIMITS, type RttMsg } from "../net/messages.ts";
import type { LearnConfig } from "./learn-config.ts";
import { LearnedTable, type LearnedEntry } from "./learned-map.ts";
import type { LocationMap } from "./location-map.ts";
import { ProbePlan, sampleProblem } from "./probe-plan.ts";
import { startProber } from "./prober-process.ts";
import { UNCOVERED_TRACKED, type SteeringCounts } from "./steering-counts.ts";

const TICK_MS = 1000;
/** Probes awaiting a reply at once; beyond it a due probe waits for the next tick. */
const IN_FLIGHT_MAX = 64;

export interface LearnedStatus {
  entries: LearnedEntry[];
  /** Prefixes with samples, chosen or not. */
  measured: number;
  /** Prefixes this nameserver plans to probe. */
  planned: number;
  probesSent: number;
  probesLost: number;
  samplesHeard: number;
  /** Messages and samples refused: another site, an unknown area, a sender that is not a
   * nameserver; a prefix that is not the /24 or /48 of its address, or a loopback address. */
  rejected: number;
}

/** What the answer path needs of the maps: the hand-made one, the counts, and the learned one when learning is on. */
export interface LocationSources {
  /** The hand-made map in force: a new object when a site document changes it. */
  map: () => LocationMap;
  steering: SteeringCounts;
  learned?: Pick<Learning, "map" | "onChange">;
}

export type StartLearning = typeof startLearning;

export interface Learning {
  /** The learned map now: a new object whenever it changed. */
  map(): LocationMap;
  onChange(fn: (m: LocationMap) => void): void;
  status(): LearnedStatus;
  stop(): void;
}

export function startLearning(init: {
  cfg: LearnConfig;
  zone: string;
  digest: string;
  area: AreaName;
  areas: readonly AreaName[];
  steering: SteeringCounts;
  bus: Bus;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** The nameserver's own address, the probes' source. */
  bindHost?: string;
  /** Whether a signed sender is a member that announced the nameserver role: nobody else measures. */
  isNameserver: (peer: PeerIdText) => boolean;
}): Learning {
  const { cfg, clock, log } = init;
  const areas = new Set<string>(init.areas);
  const table = new LearnedTable(cfg);
  const prober = startProber((err) => log.warn(err));
  const plan = new ProbePlan(cfg, Math.random);
  const listeners: ((m: LocationMap) => void)[] = [];
  const counts = { probesLost: 0, samplesHeard: 0, rejected: 0 };
  let pending: RttMsg["samples"] = [];
  let inFlight = 0;

  init.bus.onMessage((m) => {
    if (m.topic !== "locations") return;
    const d = decode(m.topic, m.data);
    if (!d.ok || d.msg.type !== "rtt") return; // counted by the site view's validator
    const msg = d.msg;
    if (msg.site !== init.digest || !areas.has(msg.area) || !init.isNameserver(m.from)) return void counts.rejected++;
    // Receipt time, not the sender's clock: expiry stays true whatever its clock says.
    const now = clock();
    for (const s of msg.samples) {
      if (sampleProblem(s)) {
        counts.rejected++;
        continue;
      }
      counts.samplesHeard++;
      table.add({ prefix: s.prefix, area: msg.area as AreaName, rttMs: s.rttMs, atMs: now });
      // Another area heard from this resolver: it asked the site, so this area measures it too.
      plan.note(s, now);
    }
  });

  const probe = (prefix: string, address: string) => {
    inFlight++;
    void prober.probe({ address, zone: init.zone, timeoutMs: cfg.timeoutMs, bindHost: init.bindHost }).then((rttMs) => {
      inFlight--;
      if (rttMs === undefined) counts.probesLost++;
      else pending.push({ prefix, address, rttMs: Math.round(rttMs * 100) / 100 });
    });
  };

  const tick = () => {
    const now = clock();
    for (const u of init.steering.snapshot(UNCOVERED_TRACKED).uncovered) {
      if (u.queries >= cfg.minQueries && u.address !== undefined) plan.note({ prefix: u.prefix, address: u.address }, now);
    }
    if (inFlight < IN_FLIGHT_MAX) for (const t of plan.due(now)) probe(t.prefix, t.address);
    while (pending.length) {
      const samples = pending.slice(0, LIMITS.rttSamples);
      pending = pending.slice(samples.length);
      init.bus.publish("locations", encode({ type: "rtt", site: init.digest, area: init.area, atMs: now, samples }));
    }
    if (table.decide(now)) {
      const m = table.map();
      log.info("learned location map changed", { entries: m.size, version: m.version });
      for (const l of listeners) l(m);
    }
  };
  const stopTicks = init.timers.every(TICK_MS, tick);

  return {
    map: () => table.map(),
    onChange: (fn) => void listeners.push(fn),
    status: () => ({ entries: table.entries(), measured: table.size, planned: plan.size, probesSent: plan.sent, ...counts }),
    stop() {
      stopTicks();
      prober.stop();
    },
  };
}
