import { describe, expect, test } from "bun:test";
import { areaName, type AreaName } from "../../../src/core/types.ts";
import { LEARNED_PREFIXES_MAX, LearnedTable, SAMPLES_KEPT, type LearnRule } from "../../../src/geo/learned-map.ts";
import { parseAddress } from "../../../src/geo/address.ts";
import { seededRandom } from "../../../src/sim/prng.ts";

const RULE: LearnRule = { minSamples: 2, marginMs: 5, expiryMs: 60_000 };
const [EAST, WEST, NORTH] = ["east", "west", "north"].map(areaName) as [AreaName, AreaName, AreaName];
const P = "192.0.2.0/24";

function feed(t: LearnedTable, atMs: number, rtt: Record<string, number>, prefix = P) {
  for (const [area, rttMs] of Object.entries(rtt)) t.add({ prefix, area: areaName(area), rttMs, atMs });
}
const areaOf = (t: LearnedTable, address: string) => {
  const a = parseAddress(address);
  return a && t.map().lookup(a.family, a.bytes).area;
};

describe("the learning rule", () => {
  test("no entry until at least two areas have enough samples; then the fastest", () => {
    const t = new LearnedTable(RULE);
    feed(t, 0, { east: 5, west: 40, north: 80 });
    expect(t.decide(0)).toBe(false);
    feed(t, 1000, { east: 5 });
    expect(t.decide(1000)).toBe(false); // east alone has two samples
    feed(t, 1000, { north: 81 });
    expect(t.decide(1000)).toBe(true);
    expect(areaOf(t, "192.0.2.77")).toBe(EAST);
    expect(areaOf(t, "192.0.3.1")).toBeUndefined();
    expect(t.entries()).toEqual([{ prefix: P, area: EAST, rttMs: { east: 5, west: 40, north: 80 }, samples: 5, leadMs: 35 }]);
  });

  test("hysteresis: a rival within the margin never takes over; one beyond it does", () => {
    const t = new LearnedTable(RULE);
    feed(t, 0, { east: 20, west: 22 });
    feed(t, 1, { east: 20, west: 22 });
    t.decide(1);
    expect(t.map().lookup(4, new Uint8Array([192, 0, 2, 1])).area).toBe(EAST);
    for (let i = 2; i < 10; i++) feed(t, i, { west: 16 }); // 4 ms better: within 5
    expect(t.decide(10)).toBe(false);
    expect(areaOf(t, "192.0.2.1")).toBe(EAST);
    feed(t, 11, { west: 10 });
    feed(t, 12, { west: 10 });
    expect(t.decide(12)).toBe(true);
    expect(areaOf(t, "192.0.2.1")).toBe(WEST);
  });

  test("slow replies do not move a prefix (the least of the samples kept)", () => {
    const t = new LearnedTable(RULE);
    feed(t, 0, { east: 5, north: 80 });
    feed(t, 1, { east: 5, north: 80 });
    t.decide(1);
    feed(t, 2, { east: 500 });
    feed(t, 3, { east: 300 });
    expect(t.decide(3)).toBe(false);
    expect(areaOf(t, "192.0.2.1")).toBe(EAST);
  });

  test("re-learned when the nearest area changes, once the old fast samples are pushed out", () => {
    const t = new LearnedTable(RULE);
    for (let i = 0; i < SAMPLES_KEPT; i++) feed(t, i, { east: 5, west: 40, north: 80 });
    t.decide(SAMPLES_KEPT);
    expect(areaOf(t, "192.0.2.1")).toBe(EAST);
    for (let i = 1; i < SAMPLES_KEPT; i++) {
      feed(t, 10 + i, { east: 80, west: 40, north: 5 });
      t.decide(10 + i);
      expect(areaOf(t, "192.0.2.1")).toBe(EAST);
    }
    feed(t, 20, { east: 80, west: 40, north: 5 });
    expect(t.decide(20)).toBe(true);
    expect(areaOf(t, "192.0.2.1")).toBe(NORTH);
  });

  test("entries expire with their samples", () => {
    const t = new LearnedTable(RULE);
    feed(t, 0, { east: 5, north: 80 });
    feed(t, 1000, { east: 5, north: 80 });
    t.decide(1000);
    expect(t.entries().length).toBe(1);
    expect(t.decide(60_500)).toBe(false); // the second samples are still fresh
    expect(t.decide(61_001)).toBe(true);
    expect(t.entries()).toEqual([]);
    expect(t.size).toBe(0);
    expect(areaOf(t, "192.0.2.1")).toBeUndefined();
  });

  test("a chosen area whose samples expired gives way to the fastest remaining", () => {
    const t = new LearnedTable(RULE);
    feed(t, 0, { east: 5, west: 40, north: 80 });
    feed(t, 0, { east: 5, west: 40, north: 80 });
    t.decide(0);
    feed(t, 50_000, { west: 40, north: 80 });
    feed(t, 50_001, { west: 40, north: 80 });
    expect(t.decide(61_000)).toBe(true);
    expect(areaOf(t, "192.0.2.1")).toBe(WEST);
  });

  test("every node derives the same map from the same samples in any order", () => {
    const samples = Array.from({ length: 3000 }, (_, i) => ({
      prefix: `10.${i % 7}.${i % 50}.0/24`,
      area: [EAST, WEST, NORTH][i % 3] as AreaName,
      rttMs: 5 + ((i * 7919) % 97),
      atMs: 1000,
    }));
    const a = new LearnedTable(RULE);
    const b = new LearnedTable(RULE);
    for (const s of samples) a.add(s);
    for (const s of [...samples].reverse()) b.add(s);
    a.decide(2000);
    b.decide(2000);
    expect(a.entries().length).toBeGreaterThan(0);
    expect(a.entries().map((e) => [e.prefix, e.area])).toEqual(b.entries().map((e) => [e.prefix, e.area]));
  });

  test("converges in a simulated site: noisy samples from three areas, every prefix ends at its nearest area", () => {
    const seed = 18;
    const random = seededRandom(seed);
    const t = new LearnedTable(RULE);
    const prefixes = Array.from({ length: 500 }, (_, i) => ({
      prefix: `10.${18 + Math.floor(i / 250)}.${i % 250}.0/24`,
      base: { east: 5 + random() * 80, west: 5 + random() * 80, north: 5 + random() * 80 } as Record<string, number>,
    }));
    for (let round = 0; round < 6; round++) {
      for (const p of prefixes)
        for (const [area, ms] of Object.entries(p.base))
          t.add({ prefix: p.prefix, area: areaName(area), rttMs: ms * (1 + 0.2 * random()), atMs: round * 1000 });
      t.decide(round * 1000);
    }
    let wrongBeyondMargin = 0;
    for (const e of t.entries()) {
      const base = prefixes.find((p) => p.prefix === e.prefix)?.base ?? {};
      const best = Math.min(...Object.values(base));
      // Noise of 20 % and the margin may keep a near tie; never a clearly slower area.
      if ((base[e.area] ?? 0) > best * 1.2 + RULE.marginMs) wrongBeyondMargin++;
    }
    expect(t.entries().length, `seed ${seed}`).toBe(500);
    expect(wrongBeyondMargin, `seed ${seed}`).toBe(0);
  });

  test("bounded memory: 100,000 prefixes leave at most the limit, the newest kept", () => {
    const t = new LearnedTable(RULE);
    for (let i = 0; i < 100_000; i++) {
      const prefix = `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
      t.add({ prefix, area: EAST, rttMs: 5, atMs: 0 });
      t.add({ prefix, area: EAST, rttMs: 5, atMs: 0 });
      t.add({ prefix, area: WEST, rttMs: 50, atMs: 0 });
      t.add({ prefix, area: WEST, rttMs: 50, atMs: 0 });
    }
    expect(t.size).toBe(LEARNED_PREFIXES_MAX);
    t.decide(0);
    expect(t.entries().length).toBe(LEARNED_PREFIXES_MAX);
    expect(areaOf(t, "11.134.159.1")).toBe(EAST); // i = 99,999
    expect(areaOf(t, "10.0.0.1")).toBeUndefined(); // i = 0, evicted
  }, 60_000);

  test("a sample for something other than a prefix is ignored", () => {
    const t = new LearnedTable(RULE);
    t.add({ prefix: "not a prefix", area: EAST, rttMs: 1, atMs: 0 });
    expect(t.size).toBe(0);
  });
});
