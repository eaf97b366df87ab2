import { expect, test } from "bun:test";
import { requestsPerSecond, type HitsSample } from "../../../src/report/web-rate.ts";

test.each<[string, HitsSample | undefined, HitsSample, number | undefined]>([
  ["first reading: no rate", undefined, { hits: 10, atMs: 1000 }, undefined],
  ["50 hits in 2 s", { hits: 10, atMs: 1000 }, { hits: 60, atMs: 3000 }, 25],
  ["no hits", { hits: 10, atMs: 1000 }, { hits: 10, atMs: 2000 }, 0],
  ["counter went back (server restarted)", { hits: 500, atMs: 1000 }, { hits: 3, atMs: 2000 }, undefined],
  ["clock did not move", { hits: 1, atMs: 1000 }, { hits: 5, atMs: 1000 }, undefined],
  ["clock went back", { hits: 1, atMs: 2000 }, { hits: 5, atMs: 1000 }, undefined],
])("%s", (_what, prev, cur, rate) => {
  expect(requestsPerSecond(prev, cur)).toBe(rate);
});
