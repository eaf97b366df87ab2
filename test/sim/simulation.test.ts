// Whole-site simulations: the real membership, controller and nameserver code on a manual
// clock over a lossy in-memory network. Each failing seed is printed; the same seed replays.
import { describe, expect, test } from "bun:test";
import { simulate } from "../../src/sim/site-sim.ts";
import { simSite } from "./site-fixture.ts";

const SEEDS = Number(process.env.WALRUS_SIM_SEEDS ?? 24);
const FIRST_SEED = Number(process.env.WALRUS_SIM_SEED ?? 1);
const ROUNDS = 300;

describe("random faults never break the site's promises", () => {
  const site = simSite({ east: 2, west: 2, north: 2 });
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    test(`seed ${seed} (replay: WALRUS_SIM_SEED=${seed} WALRUS_SIM_SEEDS=1)`, () => {
      const r = simulate(site, { seed, rounds: ROUNDS, faults: true });
      expect(r.events).toBeGreaterThan(10); // the faults did happen
      expect(r.violations).toEqual([]);
    });
  }
});

describe("an uneven site (one large cluster, two small) under faults", () => {
  const site = simSite({ east: 1, west: 4, north: 2 });
  for (let seed = 1000; seed < 1008; seed++) {
    test(`seed ${seed}`, () => expect(simulate(site, { seed, rounds: ROUNDS, faults: true }).violations).toEqual([]));
  }
});

test("the same seed replays the same run", () => {
  const site = simSite({ east: 2, west: 2, north: 2 });
  const trace = (seed: number) => {
    const rounds: string[] = [];
    const r = simulate(site, {
      seed,
      rounds: 150,
      faults: true,
      onRound: (x) => rounds.push(`${x.round} ${x.master} ${x.areas.map((a) => `${a.area}:${a.cluster}`).join(",")} ${x.events.join(";")}`),
    });
    return { rounds, r };
  };
  const [a, b] = [trace(42), trace(42)];
  expect(a.rounds).toEqual(b.rounds);
  expect(a.r).toEqual(b.r);
  expect(trace(43).rounds).not.toEqual(a.rounds);
});

describe("calm balancing (§6.2)", () => {
  // Area a's single server is overloaded by its own demand; b's four servers have room. Once
  // a moves away its home empties, so Phase Two wants it back at once: only the cooldown
  // stops the ping-pong, and the checker must see it when the cooldown is off.
  const demand = { a: 0.9, b: 0.1 };
  test("with the cooldown, an area that moved does not come straight back", () => {
    const site = simSite({ a: 1, b: 4 }, "ttl_seconds = 1\ncooldown_rounds = 6");
    const r = simulate(site, { seed: 5, rounds: 120, faults: false, demand });
    expect(r.moves).toBeGreaterThan(0);
    expect(r.violations).toEqual([]);
  });
  test("without it, the ping-pong checker catches the oscillation", () => {
    const site = simSite({ a: 1, b: 4 }, "ttl_seconds = 1\ncooldown_rounds = 0");
    const r = simulate(site, { seed: 5, rounds: 120, faults: false, demand, pingPongWithinRounds: 5 });
    expect(r.violations.some((v) => v.invariant === "ping-pong")).toBe(true);
  });
});

test("a calm site keeps every area home", () => {
  const site = simSite({ east: 2, west: 2, north: 2 });
  const last: string[] = [];
  const r = simulate(site, {
    seed: 1,
    rounds: 60,
    faults: false,
    onRound: (x) => (last[0] = x.areas.map((a) => `${a.area}:${a.cluster}:${a.reason}`).join(" ")),
  });
  expect(r.moves).toBe(0);
  expect(last[0]).toBe("east:east:home west:west:home north:north:home");
});
