import { describe, expect, test } from "bun:test";
import { isNewer, nextFollowed, type Followed } from "../../../src/assign/follow.ts";
import { peerIdText, type Assignment } from "../../../src/core/types.ts";

const FRESH_MS = 3000;

/** "m1 e2 s5 @100": master m1, epoch 2, seq 5, received at 100 ms. */
function f(spec: string): Followed {
  const [master, epoch, seq, at] = spec.split(" ") as [string, string, string, string];
  const assignment: Assignment = { master: peerIdText(master), epoch: Number(epoch.slice(1)), seq: Number(seq.slice(1)), atMs: 0, areas: [] };
  return { assignment, receivedAtMs: Number(at.slice(1)) };
}

describe("nextFollowed: which assignment to follow, and when another master's is fresh", () => {
  const rows: [string, string | undefined, string | undefined, number, "current" | "candidate" | "none"][] = [
    ["nothing heard", undefined, undefined, 0, "none"],
    ["the first assignment is followed", undefined, "m1 e1 s1 @0", 10_000, "candidate"],
    ["a newer seq of the same master", "m1 e1 s1 @0", "m1 e1 s2 @1000", 1000, "candidate"],
    ["a newer epoch of the same master", "m1 e1 s9 @0", "m1 e2 s1 @1000", 1000, "candidate"],
    ["an older seq of the same master stays out", "m1 e1 s5 @0", "m1 e1 s4 @1000", 1000, "current"],
    ["an older epoch of the same master stays out, however high its seq", "m1 e2 s1 @0", "m1 e1 s9 @1000", 1000, "current"],
    ["the same seq again stays out", "m1 e1 s5 @0", "m1 e1 s5 @1000", 1000, "current"],
    ["the same master's newer one is followed however old", "m1 e1 s1 @0", "m1 e1 s2 @0", 60_000, "candidate"],
    ["another master's fresh one is adopted", "m1 e1 s5 @0", "m2 e2 s1 @1000", 1000 + FRESH_MS, "candidate"],
    ["another master's one just past fresh is not", "m1 e1 s5 @0", "m2 e2 s1 @1000", 1001 + FRESH_MS, "current"],
    ["another master's stale one is not, even with a higher epoch", "m1 e1 s5 @0", "m2 e9 s1 @0", 60_000, "current"],
  ];
  for (const [what, current, candidate, nowMs, expected] of rows) {
    test(what, () => {
      const cur = current === undefined ? undefined : f(current);
      const cand = candidate === undefined ? undefined : f(candidate);
      const got = nextFollowed(cur, cand, nowMs, FRESH_MS);
      expect(got).toBe(expected === "current" ? cur : expected === "candidate" ? cand : undefined);
    });
  }

  test("the same object again is no change", () => {
    const cur = f("m1 e1 s1 @0");
    expect(nextFollowed(cur, cur, 0, FRESH_MS)).toBe(cur);
  });
});

test("isNewer orders by epoch, then seq", () => {
  const a = (epoch: number, seq: number) => f(`m e${epoch} s${seq} @0`).assignment;
  expect(isNewer(a(1, 2), a(1, 1))).toBe(true);
  expect(isNewer(a(2, 1), a(1, 9))).toBe(true);
  expect(isNewer(a(1, 1), a(1, 1))).toBe(false);
  expect(isNewer(a(1, 9), a(2, 1))).toBe(false);
});
