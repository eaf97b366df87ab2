// Graded shedding in the whole-site simulation: the real controller and nameservers, with the
// load model sending each spill share's fraction of an area's demand to its target cluster.
import { describe, expect, test } from "bun:test";
import { simulate, type RoundSummary } from "../../src/sim/site-sim.ts";
import { simSite } from "./site-fixture.ts";

/** Runs a calm site (no faults) and keeps the last round's summary and the peak share seen. */
function run(demand: Record<string, number>, siteKeys: string, rounds = 160) {
  const site = simSite({ east: 2, west: 2, north: 2 }, `ttl_seconds = 5\n${siteKeys}`);
  let last: RoundSummary | undefined;
  let spilled = 0;
  const r = simulate(site, {
    seed: 7,
    rounds,
    faults: false,
    demand,
    onRound: (x) => {
      last = x;
      spilled = Math.max(spilled, ...x.areas.map((a) => a.spill.reduce((n, s) => n + s.fraction, 0)));
    },
  });
  const loads = [...(last?.loads ?? new Map()).values()];
  return { r, last: last as RoundSummary, loads, spilled };
}

describe("graded shedding (issue 19)", () => {
  test("capacity above demand: east at 1.6× its capacity ends with every cluster below threshold, east home with shares", () => {
    const { r, last, loads, spilled } = run({ east: 1.6, west: 0.2, north: 0.2 }, "");
    expect(r.violations).toEqual([]);
    expect(Math.max(...loads)).toBeLessThan(0.8);
    expect(String(last.areas.find((a) => a.area === "east")?.cluster)).toBe("east");
    expect(spilled).toBeGreaterThanOrEqual(0.5);
    expect(r.moves).toBe(0);
  });

  test("the all-or-nothing rule (spill_step = 0) leaves east overloaded on the same demand", () => {
    const { loads, spilled } = run({ east: 1.6, west: 0.2, north: 0.2 }, "spill_step = 0");
    expect(spilled).toBe(0);
    expect(Math.max(...loads)).toBeGreaterThanOrEqual(0.8);
  });

  test("demand above capacity: the clusters end within one step of equal load, and stay there", () => {
    const { r, loads } = run({ east: 1.5, west: 0.6, north: 0.6 }, "", 240);
    expect(r.violations).toEqual([]);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(0.15 + 1e-9);
  });

  test("demand falls back: the shares come home", () => {
    const site = simSite({ east: 2, west: 2, north: 2 }, "ttl_seconds = 5");
    let shares: number[] = [];
    const r = simulate(site, {
      seed: 3,
      rounds: 400,
      faults: false,
      demand: { east: 1.6, west: 0.2, north: 0.2 },
      demandAt: { round: 150, demand: { east: 0.3 } },
      onRound: (x) => shares.push(x.areas.reduce((n, a) => n + a.spill.reduce((m, s) => m + s.fraction, 0), 0)),
    });
    expect(r.violations).toEqual([]);
    expect(Math.max(...shares.slice(0, 150))).toBeGreaterThan(0);
    expect(shares.at(-1)).toBe(0);
  });
});
