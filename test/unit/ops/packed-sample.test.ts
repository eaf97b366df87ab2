import { expect, test } from "bun:test";
import type { ServerState } from "../../../src/core/types.ts";
import type { HistorySample } from "../../../src/ops/history-sample.ts";
import { pack, unpack } from "../../../src/ops/packed-sample.ts";

const STATES: ServerState[] = ["up", "tempfail", "bypass", "panic", "drained", "dead", "unknown"];
const sample = (atMs: number, loadOf = (i: number) => i / 10): HistorySample => ({
  atMs,
  servers: Object.fromEntries(
    STATES.map((state, i) => [`web-${i}`, { load: i === 3 ? null : loadOf(i), state, rps: i % 2 ? null : i * 1.5, inService: state === "up" || i === 1 }]),
  ),
  areas: { east: { cluster: "east", qps: 12.25 }, west: { cluster: "east", qps: null }, north: { cluster: "north", qps: 0 } },
});

test("a sample comes back as it went in: every state, in service or not, unknown loads and rates, each area's cluster and rate", () => {
  const s = sample(1_000);
  expect(unpack(pack(s))).toEqual(s);
});

test("a sample with no servers and no areas", () => {
  const s: HistorySample = { atMs: 5, servers: {}, areas: {} };
  expect(unpack(pack(s))).toEqual(s);
});

test("the name lists are shared with the sample before while they are the same, and not when one changes", () => {
  const first = pack(sample(1_000));
  const second = pack(
    sample(2_000, (i) => i / 20),
    first,
  );
  expect(second.servers).toBe(first.servers);
  expect(second.areas).toBe(first.areas);
  expect(second.clusters).toBe(first.clusters);
  expect(unpack(second)).toEqual(sample(2_000, (i) => i / 20));
  const moved = sample(3_000);
  moved.areas.west = { cluster: "north", qps: 1 };
  const third = pack(moved, second);
  expect(third.clusters).not.toBe(second.clusters);
  expect(third.servers).toBe(first.servers);
  expect(unpack(third)).toEqual(moved);
});
