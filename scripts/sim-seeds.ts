// Runs the whole-site simulation over many seeds and prints any that break an invariant.
//   bun scripts/sim-seeds.ts [--seeds 1000] [--first 1] [--rounds 300] [--config site.toml]
// Without --config it uses the three-area, two-servers-each site of the tests; with one, the
// [site] of that node config. A failing seed replays with --first SEED --seeds 1.
import { parseArgs } from "node:util";
import { formatErrors, loadConfig } from "../src/config/load.ts";
import { simulate } from "../src/sim/site-sim.ts";
import { simSite } from "../test/sim/site-fixture.ts";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1000" },
    first: { type: "string", default: "1" },
    rounds: { type: "string", default: "300" },
    config: { type: "string" },
  },
});
let site = simSite({ east: 2, west: 2, north: 2 });
if (values.config) {
  const loaded = loadConfig(values.config);
  if (!loaded.ok) {
    console.error(formatErrors(loaded.errors));
    process.exit(2);
  }
  site = loaded.config.site;
}
const seeds = Number(values.seeds);
const first = Number(values.first);
const started = performance.now();
let failed = 0;
let events = 0;
let moves = 0;
for (let seed = first; seed < first + seeds; seed++) {
  const r = simulate(site, { seed, rounds: Number(values.rounds), faults: true });
  events += r.events;
  moves += r.moves;
  if (r.violations.length) {
    failed++;
    console.log(
      `seed ${seed}: ${r.violations.length} violation(s); first: round ${r.violations[0]?.round} ${r.violations[0]?.invariant}: ${r.violations[0]?.detail}`,
    );
  }
  if ((seed - first + 1) % 100 === 0)
    process.stderr.write(`${seed - first + 1}/${seeds} seeds, ${failed} failing, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
console.log(
  `${seeds} seeds × ${values.rounds} rounds: ${seeds - failed} without a broken invariant, ${failed} with; ${events} injected faults, ${moves} area moves, ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(failed ? 1 : 0);
