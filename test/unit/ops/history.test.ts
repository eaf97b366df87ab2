import { expect, test } from "bun:test";
import type { HistorySample, ServerPoint } from "../../../src/ops/history-sample.ts";
import { downsample, History } from "../../../src/ops/history.ts";

const pt = (load: number | null, rps: number | null, state: ServerPoint["state"] = "up"): ServerPoint => ({ load, state, rps, inService: state === "up" });
const sample = (atMs: number, a: ServerPoint, cluster = "east", qps: number | null = null): HistorySample => ({
  atMs,
  servers: { a },
  areas: { east: { cluster, qps } },
});

test.each([
  [
    "means of the known values; a reset (null rate) does not count as 0",
    [sample(0, pt(0.25, 10)), sample(1000, pt(0.5, null)), sample(2000, pt(0.75, 20))],
    { load: 0.5, rps: 15, state: "up", inService: true },
  ],
  [
    "a server without a counter stays unknown",
    [sample(0, pt(0.25, null)), sample(1000, pt(0.75, null))],
    { load: 0.5, rps: null, state: "up", inService: true },
  ],
  [
    "the worst state wins, so a short PANIC shows",
    [sample(0, pt(0.2, 5)), sample(1000, pt(null, null, "panic")), sample(2000, pt(0.2, 5))],
    { load: 0.2, rps: 5, state: "panic", inService: false },
  ],
  [
    "drained beats up, dead beats drained",
    [sample(0, pt(0.1, 0, "drained")), sample(1000, pt(null, null, "dead"))],
    { load: 0.1, rps: 0, state: "dead", inService: false },
  ],
] as const)("downsampling a bucket: %s", (_name, samples, expected) => {
  const [one] = downsample(samples as unknown as HistorySample[], 60_000);
  expect(one?.atMs).toBe(samples[samples.length - 1]?.atMs as number);
  expect(one?.servers.a).toEqual(expected as unknown as ServerPoint);
});

test("buckets align to multiples of the bucket; an area keeps its last cluster and mean queries", () => {
  const out = downsample(
    [sample(59_000, pt(0, 1), "east", 4), sample(60_000, pt(0, 1), "east", 2), sample(61_000, pt(0, 1), "west", null), sample(62_000, pt(0, 1), "west", 6)],
    60_000,
  );
  expect(out.map((s) => [s.atMs, s.areas.east])).toEqual([
    [59_000, { cluster: "east", qps: 4 }],
    [62_000, { cluster: "west", qps: 4 }],
  ]);
});

test("the store keeps every sample of the fine window, one per bucket before it, and nothing older than both", () => {
  const h = new History({ fineMs: 10_000, bucketMs: 5_000, coarseMs: 20_000 });
  for (let t = 0; t <= 60_000; t += 1000) h.add(sample(t, pt(t / 100_000, t / 1000)));
  const times = h.samples().map((s) => s.atMs);
  // fine: 50..60 s, every second; the bucket 45..49 s is kept as it is until a later sample
  // ages out past it; coarse: earlier buckets, back to 60 − 10 − 20 = 30 s
  expect(times).toEqual([34_000, 39_000, 44_000, ...Array.from({ length: 16 }, (_, i) => 45_000 + 1000 * i)]);
  // a coarse point is its bucket's mean: 40..44 s → rps 42
  expect(h.samples().find((s) => s.atMs === 44_000)?.servers.a?.rps).toBe(42);
  expect(h.samples(55_000).map((s) => s.atMs)).toEqual([56_000, 57_000, 58_000, 59_000, 60_000]);
  expect([h.oldestMs(), h.newestMs()]).toEqual([34_000, 60_000]);
});

test("a sample older than the newest (the clock stepped back) is ignored", () => {
  const h = new History({ fineMs: 10_000, bucketMs: 5_000, coarseMs: 20_000 });
  h.add(sample(5000, pt(0, 1)));
  h.add(sample(4000, pt(0, 2)));
  expect(h.samples().map((s) => s.atMs)).toEqual([5000]);
});

test("bounded whatever the interval: two hours of 100 ms samples keep at most a few thousand", () => {
  const h = new History();
  for (let t = 0; t < 2 * 3600_000; t += 100) h.add(sample(t, pt(0, 1)));
  expect(h.samples().length).toBeLessThanOrEqual(2 * 4000 + 600);
}, 60_000);
