import { expect, test } from "bun:test";
import type { HistorySample, ServerPoint } from "../../../src/ops/history-sample.ts";
import { meanRates, MIN_SKEW_REQUESTS, skewWarnings } from "../../../src/ops/skew.ts";
import { skewText } from "../../../src/ops/spread.ts";

const clusterOf = (s: string) => s.split("-")[1] as string;
const up = (rps: number | null): ServerPoint => ({ load: 0.1, state: "up", rps, inService: true });
/** One sample a second up to 90 s (the check's "now"), from 90 − `seconds`, each server's rate from `rates(t)`. */
const run = (seconds: number, rates: (t: number) => Record<string, ServerPoint>): HistorySample[] =>
  Array.from({ length: seconds + 1 }, (_, i) => 90 - seconds + i).map((t) => ({ atMs: t * 1000, servers: rates(t), areas: {} }));
const rules = { factor: 1.5, forMs: 60_000 };

test.each([
  ["NCSA: one of two servers takes 80 % for the whole window", run(90, () => ({ "w-east-1": up(8), "w-east-2": up(2) })), [["east", "w-east-1", 0.8, 0.5]]],
  ["an even split", run(90, () => ({ "w-east-1": up(5), "w-east-2": up(5) })), []],
  ["below the factor (70 % of two is 1.4×)", run(90, () => ({ "w-east-1": up(7), "w-east-2": up(3) })), []],
  ["not watched for the whole window yet", run(45, () => ({ "w-east-1": up(9), "w-east-2": up(1) })), []],
  ["a burst shorter than the window is averaged away", run(90, (t) => ({ "w-east-1": up(t > 80 ? 50 : 5), "w-east-2": up(5) })), []],
  ["too few requests to say anything", run(90, () => ({ "w-east-1": up((MIN_SKEW_REQUESTS - 1) / 60), "w-east-2": up(0) })), []],
  ["a server without a counter is not counted: one known server alone is no skew", run(90, () => ({ "w-east-1": up(9), "w-east-2": up(null) })), []],
  [
    "a drained server (no requests, out of the answers) does not make its sibling skewed",
    run(90, () => ({ "w-east-1": up(9), "w-east-2": { ...up(0), state: "drained", inService: false } })),
    [],
  ],
  [
    "counter resets (unknown readings) are skipped, not taken as 0",
    run(90, (t) => ({ "w-east-1": up(t % 10 === 0 ? null : 8), "w-east-2": up(2) })),
    [["east", "w-east-1", 0.8, 0.5]],
  ],
  [
    "three servers, one at 60 % (1.8× of a third)",
    run(90, () => ({ "w-east-1": up(6), "w-east-2": up(2), "w-east-3": up(2) })),
    [["east", "w-east-1", 0.6, 1 / 3]],
  ],
] as const)("%s", (_name, samples, expected) => {
  const got = skewWarnings(samples, 90_000, rules, clusterOf).map((w) => [
    w.cluster,
    w.server,
    Math.round(w.share * 1000) / 1000,
    Math.round(w.even * 1000) / 1000,
  ]);
  expect(got).toEqual(expected.map(([c, s, share, even]) => [c, s, Math.round(share * 1000) / 1000, Math.round(even * 1000) / 1000]) as unknown as typeof got);
});

test("the warning says what, how long, and what usually causes it", () => {
  expect(skewText({ cluster: "east", server: "web-east-1", share: 0.83, even: 0.5, forMs: 300_000 })).toBe(
    "web-east-1 took 83 % of cluster east's requests over the last 5 min (an even split is 50 %): usually long TTLs, resolvers that pin one address, or clients that ignore the rotation",
  );
});

test("mean rates over a window skip unknown readings; a server dead now has no rate", () => {
  const samples = run(10, (t) => ({ "w-east-1": up(t === 85 ? null : 4), "w-east-2": t === 90 ? { ...up(null), state: "dead", inService: false } : up(6) }));
  expect(meanRates(samples, 80_000, clusterOf)).toEqual([
    { name: "w-east-1", cluster: "east", rps: 4, inService: true },
    { name: "w-east-2", cluster: "east", rps: null, inService: false },
  ]);
});
