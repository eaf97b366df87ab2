import { describe, expect, test } from "bun:test";
import { isLearnable, ProbePlan, PLANNED_PREFIXES_MAX, sampleProblem } from "../../../src/geo/probe-plan.ts";
import { seededRandom } from "../../../src/sim/prng.ts";

const target = (i: number) => ({ prefix: `10.0.${i}.0/24`, address: `10.0.${i}.53` });

describe("the probe plan", () => {
  test("nothing is probed that never asked", () => {
    const plan = new ProbePlan({ probesPerSecond: 10, intervalMs: 60_000 }, seededRandom(1));
    expect(plan.due(0)).toEqual([]);
    expect(plan.due(5000)).toEqual([]);
  });

  test("a new prefix is probed within a second, then not again before the interval less its jitter", () => {
    const plan = new ProbePlan({ probesPerSecond: 10, intervalMs: 60_000 }, seededRandom(2));
    plan.note(target(1), 0);
    expect(plan.due(1000)).toEqual([target(1)]);
    let probed = 0;
    for (let t = 2000; t < 45_000; t += 1000) probed += plan.due(t).length;
    expect(probed).toBe(0);
    for (let t = 45_000; t <= 76_000; t += 1000) probed += plan.due(t).length;
    expect(probed).toBe(1);
  });

  test("never above the rate, however many prefixes are due (seeded, over ten simulated minutes)", () => {
    for (const seed of [1, 2, 3]) {
      const plan = new ProbePlan({ probesPerSecond: 1, intervalMs: 10_000 }, seededRandom(seed));
      for (let i = 0; i < 200; i++) plan.note(target(i), 0);
      const perTenSeconds = new Map<number, number>();
      // Ticks a little early or late, as timers on a busy host are.
      for (let t = 0; t <= 600_000; t += 900 + Math.floor((200 * ((t * 7) % 13)) / 13)) {
        const n = plan.due(t).length;
        perTenSeconds.set(Math.floor(t / 10_000), (perTenSeconds.get(Math.floor(t / 10_000)) ?? 0) + n);
      }
      expect(Math.max(...perTenSeconds.values()), `seed ${seed}`).toBeLessThanOrEqual(11);
      expect(plan.sent, `seed ${seed}`).toBeGreaterThanOrEqual(595);
      expect(plan.sent, `seed ${seed}`).toBeLessThanOrEqual(602);
    }
  });

  test("the most overdue first, so every prefix gets its turn", () => {
    const plan = new ProbePlan({ probesPerSecond: 1, intervalMs: 1000 }, seededRandom(4));
    for (let i = 0; i < 5; i++) plan.note(target(i), 0);
    const seen = new Set<string>();
    for (let t = 1000; t <= 5000; t += 1000) for (const p of plan.due(t)) seen.add(p.prefix);
    expect(seen.size).toBe(5);
  });

  test("bounded: 100,000 prefixes leave at most the limit", () => {
    const plan = new ProbePlan({ probesPerSecond: 1, intervalMs: 1000 }, seededRandom(5));
    for (let i = 0; i < 100_000; i++) plan.note({ prefix: `p${i}`, address: "10.0.0.1" }, 0);
    expect(plan.size).toBe(PLANNED_PREFIXES_MAX);
  }, 60_000);
});

describe("what is learnable", () => {
  test.each([
    ["192.0.2.53", true],
    ["2001:db8::53", true],
    ["127.0.0.1", false],
    ["::1", false],
    ["::", false],
    ["0.0.0.0", false],
    ["169.254.1.1", false],
    ["fe80::1", false],
    ["224.0.0.251", false],
    ["ff02::fb", false],
    ["not an address", false],
  ] as const)("%s → %p", (address, learnable) => {
    expect(isLearnable(address)).toBe(learnable);
  });

  test("loopback resolvers are never planned: each area would reach its own host", () => {
    const plan = new ProbePlan({ probesPerSecond: 10, intervalMs: 1000 }, seededRandom(6));
    plan.note({ prefix: "127.0.0.0/24", address: "127.0.0.1" }, 0);
    expect(plan.size).toBe(0);
  });
});

describe("a gossiped sample is learned only when its prefix holds its address", () => {
  test.each([
    ["192.0.2.0/24", "192.0.2.53", undefined],
    ["2001:db8:1::/48", "2001:db8:1:2::53", undefined],
    ["192.0.0.0/16", "192.0.2.53", "prefix"],
    ["192.0.2.1/24", "192.0.2.53", "prefix"],
    ["not a prefix", "192.0.2.53", "prefix"],
    ["192.0.2.0/24", "198.51.100.1", "address"],
    ["192.0.2.0/24", "resolver", "address"],
    ["192.0.2.0/24", "2001:db8::1", "address"],
    ["127.0.0.0/24", "127.0.0.1", "not-learnable"],
  ] as const)("%s %s → %p", (prefix, address, problem) => {
    expect(sampleProblem({ prefix, address })).toBe(problem);
  });
});
