// Graded shedding against all-or-nothing after a demand step, on the same seeds.
//   bun scripts/bench-spill.ts [--seeds 5] [--rounds 600] [--step 20:east=2] [--faults]
// The three-area, two-servers-each site of the tests (TTL 20 s, rounds of 1 s), west and north
// nearly idle (0.05), east at 0.5 until the step. For each rule: rounds until every cluster is
// below threshold for good, peak and final loads, and changes (area moves, spill steps) per round.
import { parseArgs } from "node:util";
import { parseDemandStep } from "../src/commands/simulate.ts";
import { demandStepOutcome, describeOutcome, type StepOutcome } from "../src/sim/demand-step.ts";
import { simSite } from "../test/sim/site-fixture.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "5" },
    rounds: { type: "string", default: "600" },
    step: { type: "string", default: "20:east=2" },
    faults: { type: "boolean", default: false },
  },
});
const rules = [0.1, 0.05, 0];
const started = performance.now();
for (const spill of rules) {
  const site = simSite({ east: 2, west: 2, north: 2 }, `spill_step = ${spill}`);
  const demandAt = parseDemandStep(values.step, site);
  if (typeof demandAt === "string") throw new Error(demandAt);
  const outcomes: StepOutcome[] = [];
  for (let seed = 1; seed <= Number(values.seeds); seed++) {
    const o = demandStepOutcome(site, { seed, rounds: Number(values.rounds), faults: values.faults, demand: { east: 0.5, west: 0.05, north: 0.05 }, demandAt });
    outcomes.push(o);
    console.log(
      describeOutcome(`spill_step ${spill} seed ${seed}`, o, site.loadThreshold) +
        (o.result.violations.length ? `; ${o.result.violations.length} VIOLATION(S), first: ${o.result.violations[0]?.detail}` : ""),
    );
  }
  const reached = outcomes.filter((o) => o.roundsToBelow !== undefined);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  console.log(
    `== spill_step ${spill}: below threshold in ${reached.length}/${outcomes.length} seeds` +
      (reached.length ? `, after ${mean(reached.map((o) => o.roundsToBelow as number)).toFixed(0)} rounds on average` : "") +
      `; peak ${mean(outcomes.map((o) => o.peak)).toFixed(2)}; highest final cluster load ${mean(outcomes.map((o) => Math.max(...o.final.values()))).toFixed(2)}; ${mean(outcomes.map((o) => o.changesPerRound)).toFixed(3)} changes per round\n`,
  );
}
console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
