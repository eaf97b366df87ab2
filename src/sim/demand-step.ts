// What a demand step does to a site, in figures: how many rounds until every cluster is below
// threshold (and stays there), the peak and final loads, and how much the assignment churned.
// Used by `walrus simulate --demand-step` and scripts/bench-spill.ts to compare the
// all-or-nothing rule (spill_step = 0) with graded shedding on the same seed.
import type { AreaName, Site } from "../core/types.ts";
import { simulate, type RoundSummary, type SimOptions, type SimResult } from "./site-sim.ts";

export interface StepOutcome {
  result: SimResult;
  /** Rounds from the step until every cluster is below threshold for the rest of the run; undefined: never. */
  roundsToBelow: number | undefined;
  /** Highest cluster load (mean over its servers) after the step. */
  peak: number;
  final: Map<AreaName, number>;
  /** Area moves plus spill steps after the step, per round. */
  changesPerRound: number;
}

export function demandStepOutcome(site: Site, opts: SimOptions & { demandAt: NonNullable<SimOptions["demandAt"]> }): StepOutcome {
  const after: RoundSummary[] = [];
  const onRound = (r: RoundSummary) => {
    opts.onRound?.(r);
    if (r.round >= opts.demandAt.round) after.push(r);
  };
  const result = simulate(site, { ...opts, onRound });
  const over = (r: RoundSummary) => [...r.loads.values()].some((l) => l >= site.loadThreshold);
  let lastOver = -1;
  after.forEach((r, i) => over(r) && (lastOver = i));
  const shape = (r: RoundSummary) => new Map(r.areas.map((a) => [a.area, `${a.cluster} ${a.spill.map((s) => `${s.to}:${s.fraction}`).join(" ")}`]));
  let changes = 0;
  after.forEach((r, i) => {
    const before = i > 0 ? shape(after[i - 1] as RoundSummary) : undefined;
    if (before) for (const [area, s] of shape(r)) if (before.get(area) !== s) changes++;
  });
  return {
    result,
    roundsToBelow: lastOver === after.length - 1 ? undefined : lastOver + 1,
    peak: Math.max(0, ...after.flatMap((r) => [...r.loads.values()])),
    final: after.at(-1)?.loads ?? new Map(),
    changesPerRound: after.length > 1 ? changes / (after.length - 1) : 0,
  };
}

/** One line per rule for the closing note. */
export function describeOutcome(label: string, o: StepOutcome, threshold: number): string {
  const below =
    o.roundsToBelow === undefined
      ? `some cluster still at or above ${threshold} at the end`
      : `every cluster below ${threshold} after ${o.roundsToBelow} round(s)`;
  const final = [...o.final].map(([c, l]) => `${c} ${l.toFixed(2)}`).join(", ");
  return `${label}: ${below}; peak load ${o.peak.toFixed(2)}; final ${final}; ${o.changesPerRound.toFixed(3)} changes (moves and spill steps) per round`;
}
