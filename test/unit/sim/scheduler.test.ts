import { expect, test } from "bun:test";
import { Scheduler } from "../../../src/sim/scheduler.ts";

test("events run in time order, ties in the order scheduled, and the clock follows", () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.at(30, () => seen.push(`c@${s.nowMs}`));
  s.at(10, () => seen.push(`a@${s.nowMs}`));
  s.at(10, () => seen.push(`b@${s.nowMs}`));
  s.runUntil(25);
  expect(seen).toEqual(["a@10", "b@10"]);
  expect(s.nowMs).toBe(25);
  s.runUntil(100);
  expect(seen).toEqual(["a@10", "b@10", "c@30"]);
});

test("every() repeats until cancelled; timers of a dead owner stay silent", () => {
  const s = new Scheduler();
  let alive = true;
  let ticks = 0;
  let other = 0;
  const cancel = s.timers().every(10, () => ticks++);
  s.timers(() => alive).every(10, () => other++);
  s.runUntil(35);
  cancel();
  alive = false;
  s.runUntil(100);
  expect([ticks, other]).toEqual([3, 3]);
});

test("after() can be cancelled", () => {
  const s = new Scheduler();
  let fired = false;
  const cancel = s.timers().after(5, () => (fired = true));
  cancel();
  s.runUntil(10);
  expect(fired).toBe(false);
});
