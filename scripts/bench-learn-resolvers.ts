// The learning of issue 18 measured for longer than the test does: the namespace site of
// scripts/lib/learn-lab.ts (Unbound and BIND at 5/40/80 ms from three areas, empty hand-made
// map, default-like [learn] but a short interval), then `--rounds` times: move each resolver's
// nearest area (the delays rotate), time until every nameserver has re-learned both prefixes,
// and count the answers for the nearest area over `--lookups` fresh names per resolver; then the
// probe rate of each area over 30 s of steady state. Prints the load average beside the numbers.
//
//   bun scripts/bench-learn-resolvers.ts [--rounds 3] [--lookups 200]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { until } from "./lib/demo-site.ts";
import { AREAS, nearest, PREFIX_OF, startLearnLab, type Resolver, type Rtts } from "./lib/learn-lab.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, lookups: { type: "string", default: "200" } } });
const ROUNDS = Math.min(10, Math.max(1, Number(values.rounds)));
const LOOKUPS = Math.min(1000, Math.max(10, Number(values.lookups)));
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
/** The delays of round k: the three round trips rotate over the areas, so the nearest area moves. */
const rttOf = (k: number): Rtts => {
  const rot = (ms: number[]) => Object.fromEntries(AREAS.map((a, i) => [a, ms[(i + k) % 3] as number])) as Rtts[Resolver];
  return { unbound: rot([5, 40, 80]), bind: rot([80, 40, 5]) };
};

const lab = await startLearnLab({
  names: 2 * LOOKUPS * (ROUNDS + 2),
  rtt: rttOf(0),
  learn: [
    "[learn]",
    "probes_per_second = 1",
    "interval_seconds = 2",
    "min_queries = 3",
    "min_samples = 3",
    "margin_ms = 5",
    "expiry_seconds = 600",
    "timeout_ms = 1000",
  ],
  log: (line) => console.log(`  ${line}`),
});
try {
  const resolvers: Resolver[] = ["unbound", "bind"];
  console.log(`load average at start: ${load()}`);
  // The site learns while these run (a few queries start it), so this is a cold start, not "before".
  for (const r of resolvers)
    console.log(
      `from a cold start: ${r} ${(100 * (await lab.lookups(r, LOOKUPS, nearest(rttOf(0), r), "cold start"))).toFixed(1)} % of ${LOOKUPS} answers for its nearest area`,
    );
  for (let k = 0; k <= ROUNDS; k++) {
    const rtt = rttOf(k);
    if (k > 0) await lab.setDelays(rtt);
    const waited = await until(
      "both prefixes learned everywhere",
      async () =>
        (await lab.learnedEverywhere(PREFIX_OF.unbound, nearest(rtt, "unbound"))) && (await lab.learnedEverywhere(PREFIX_OF.bind, nearest(rtt, "bind"))),
      300_000,
      500,
    );
    const shares = [];
    for (const r of resolvers) shares.push(`${r} ${(100 * (await lab.lookups(r, LOOKUPS, nearest(rtt, r), `round ${k}`))).toFixed(1)} %`);
    console.log(
      `round ${k}: ${k === 0 ? "learned" : "re-learned after the delays moved"} on every nameserver in ${(waited / 1000).toFixed(1)} s; answers for the nearest area over ${LOOKUPS} lookups: ${shares.join(", ")}; load ${load()}`,
    );
  }
  const rates = await lab.probeRates(30_000);
  console.log(`steady state: probes per second per area ${AREAS.map((a) => `${a} ${rates[a].toFixed(2)}`).join(", ")}; load ${load()}`);
} finally {
  await lab.stop();
}
