import { describe, expect, test } from "bun:test";
import { clusterFigures } from "../../../src/assign/clusters.ts";
import { decide } from "../../../src/assign/decide.ts";
import { spillShares, type SpillInput } from "../../../src/assign/spill.ts";
import { areaName, serverName, type AreaAssignment, type AreaName, type SpillShare } from "../../../src/core/types.ts";
import { servers } from "./server-spec.ts";

/** The settle time: TTL 20 s plus two reports of 1 s. */
const SETTLE_MS = 22_000;

/** "a→b:0.2:r@0" → a share of 0.2 to b, last stepped rising at 0 ms ("f" for falling). */
function share(spec: string): [AreaName, SpillShare] {
  const [area, rest] = spec.split("→") as [string, string];
  const [to, fraction, dir] = rest.split(":") as [string, string, string];
  const [way, at] = dir.split("@") as [string, string];
  return [areaName(area), { to: areaName(to), servers: [], fraction: Number(fraction), stepAtMs: Number(at), rising: way === "r", detail: "" }];
}

/** Areas "a b c" on clusters "a a c" (before: `was`) with the previous shares; the phases' reasons do not matter here. */
function run(spec: { areas: string; on?: string; was?: string; servers: string; previous?: string; nowMs: number }): string {
  const names = spec.areas.split(" ").map(areaName);
  const on = (spec.on ?? spec.areas).split(" ").map(areaName);
  const was = (spec.was ?? spec.on ?? spec.areas).split(" ").map(areaName);
  const clusters = clusterFigures(names, servers(spec.servers), 0.8);
  const areas: AreaAssignment[] = names.map((a, i) => ({ area: a, cluster: on[i] as AreaName, servers: [], reason: "kept", detail: "" }));
  const previous: SpillInput["previous"] = new Map(
    names.map((a, i) => [
      a,
      {
        cluster: was[i] as AreaName,
        spill: (spec.previous ?? "")
          .split(" ")
          .filter(Boolean)
          .map(share)
          .filter(([x]) => x === a)
          .map(([, s]) => s),
      },
    ]),
  );
  const got = spillShares({ areas, clusters, previous, nowMs: spec.nowMs, settleMs: SETTLE_MS, threshold: 0.8, margin: 0.2, step: 0.1 });
  return [...got]
    .sort(([x], [y]) => x.localeCompare(y))
    .flatMap(([a, list]) => list.map((s) => `${a}→${s.to}:${s.fraction}:${s.rising ? "r" : "f"}@${s.stepAtMs}`))
    .join(" ");
}

describe("spill: graded shedding of an overloaded area", () => {
  const cases: { name: string; areas: string; on?: string; was?: string; servers: string; previous?: string; nowMs: number; expect: string }[] = [
    {
      name: "the issue's demo: east at 0.94, two idle clusters: a first step to the least loaded",
      areas: "a b c",
      servers: "a1:up:0.94 a2:up:0.94 b1:up:0.1 c1:up:0.06",
      nowMs: 0,
      expect: "a→c:0.1:r@0",
    },
    { name: "nothing overloaded: no share", areas: "a b c", servers: "a1:up:0.7 b1:up:0.1 c1:up:0.06", nowMs: 0, expect: "" },
    {
      name: "a step is judged only after one settle time",
      areas: "a b c",
      servers: "a1:up:0.9 b1:up:0.1 c1:up:0.2",
      previous: "a→b:0.1:r@0",
      nowMs: SETTLE_MS - 1,
      expect: "a→b:0.1:r@0",
    },
    {
      name: "after one settle time, still over: the next step, to whichever is least loaded after it",
      areas: "a b c",
      servers: "a1:up:0.9 b1:up:0.1 c1:up:0.2",
      previous: "a→b:0.1:r@0",
      nowMs: SETTLE_MS,
      expect: `a→b:0.2:r@${SETTLE_MS}`,
    },
    {
      name: "several targets: each its own share",
      areas: "a b c",
      servers: "a1:up:0.9 b1:up:0.3 c1:up:0.2",
      previous: "a→b:0.1:r@0",
      nowMs: SETTLE_MS,
      expect: `a→b:0.1:r@0 a→c:0.1:r@${SETTLE_MS}`,
    },
    {
      name: "between threshold − margin and threshold: hold",
      areas: "a b c",
      servers: "a1:up:0.7 b1:up:0.1 c1:up:0.1",
      previous: "a→b:0.3:r@0",
      nowMs: 10 * SETTLE_MS,
      expect: "a→b:0.3:r@0",
    },
    {
      name: "home well below: falls, but a reversal waits three settle times",
      areas: "a b c",
      servers: "a1:up:0.3 b1:up:0.4 c1:up:0.1",
      previous: "a→b:0.3:r@0",
      nowMs: 3 * SETTLE_MS - 1,
      expect: "a→b:0.3:r@0",
    },
    {
      name: "home well below after three settle times: one step back",
      areas: "a b c",
      servers: "a1:up:0.3 b1:up:0.4 c1:up:0.1",
      previous: "a→b:0.3:r@0",
      nowMs: 3 * SETTLE_MS,
      expect: `a→b:0.2:f@${3 * SETTLE_MS}`,
    },
    {
      name: "a fall that would lift home over threshold − margin does not happen",
      areas: "a b c",
      servers: "a1:up:0.55 b1:up:0.4 c1:up:0.1",
      previous: "a→b:0.5:r@0",
      nowMs: 10 * SETTLE_MS,
      expect: "a→b:0.5:r@0",
    },
    {
      name: "falling again needs one settle time only",
      areas: "a b c",
      servers: "a1:up:0.2 b1:up:0.3 c1:up:0.1",
      previous: "a→b:0.2:f@0",
      nowMs: SETTLE_MS,
      expect: `a→b:0.1:f@${SETTLE_MS}`,
    },
    {
      name: "the last step back ends the share",
      areas: "a b c",
      servers: "a1:up:0.2 b1:up:0.3 c1:up:0.1",
      previous: "a→b:0.1:f@0",
      nowMs: SETTLE_MS,
      expect: "",
    },
    {
      name: "a target overloaded and worse than home gives back",
      areas: "a b c",
      servers: "a1:up:0.82 b1:up:0.95 c1:up:0.9",
      previous: "a→b:0.2:r@0",
      nowMs: 3 * SETTLE_MS,
      expect: `a→b:0.1:f@${3 * SETTLE_MS}`,
    },
    {
      name: "cap: an area keeps 10 % at home",
      areas: "a b c",
      servers: "a1:up:0.95 b1:up:0.2 c1:up:0.2",
      previous: "a→b:0.5:r@0 a→c:0.4:r@0",
      nowMs: SETTLE_MS,
      expect: "a→b:0.5:r@0 a→c:0.4:r@0",
    },
    {
      name: "site over capacity: no target that would end above the giver's load",
      areas: "a b c",
      servers: "a1:up:0.95 b1:up:0.9 c1:up:0.92",
      nowMs: 0,
      expect: "",
    },
    { name: "site over capacity: a step toward equal load", areas: "a b c", servers: "a1:up:1.4 b1:up:0.85 c1:up:0.9", nowMs: 0, expect: "a→b:0.1:r@0" },
    { name: "a dead target's share is dropped at once", areas: "a b c", servers: "a1:up:0.7 b1:dead c1:up:0.1", previous: "a→b:0.3:r@0", nowMs: 1, expect: "" },
    {
      name: "an area that changed cluster drops its shares",
      areas: "a b c",
      on: "c b c",
      was: "a b c",
      servers: "a1:up:0.9 b1:up:0.1 c1:up:0.5",
      previous: "a→b:0.3:r@0",
      nowMs: SETTLE_MS,
      expect: "",
    },
    {
      name: "several areas on one overloaded cluster: one step per round, the one already shedding",
      areas: "a b c",
      on: "a a c",
      servers: "a1:up:0.95 a2:up:0.95 c1:up:0.1",
      previous: "b→c:0.1:r@0",
      nowMs: SETTLE_MS,
      expect: `b→c:0.2:r@${SETTLE_MS}`,
    },
    {
      name: "that area at its cap: the next area starts",
      areas: "a b c",
      on: "a a c",
      servers: "a1:up:0.95 a2:up:0.95 c1:up:0.1 c2:up:0.1 c3:up:0.1",
      previous: "b→c:0.9:r@0",
      nowMs: SETTLE_MS,
      expect: `a→c:0.1:r@${SETTLE_MS} b→c:0.9:r@0`,
    },
    {
      name: "a cluster that takes shares gives none: its overload is the giver's to take back",
      areas: "a b c",
      servers: "a1:up:0.5 b1:up:0.9 c1:up:0.1",
      previous: "a→b:0.3:r@0",
      nowMs: SETTLE_MS,
      expect: "a→b:0.3:r@0",
    },
    {
      name: "a cluster that gives shares takes none",
      areas: "a b c",
      servers: "a1:up:0.7 b1:up:0.4 c1:up:0.9",
      previous: "a→b:0.1:r@0",
      nowMs: 1,
      expect: "a→b:0.1:r@0 c→b:0.1:r@1",
    },
    { name: "a target may fill up to just below threshold", areas: "a b c", servers: "a1:up:0.95 b1:up:0.7 c1:up:0.85", nowMs: 0, expect: "a→b:0.1:r@0" },
    {
      name: "two overloaded clusters each take a step in one round",
      areas: "a b c",
      servers: "a1:up:0.9 b1:up:0.9 c1:up:0.0 c2:up:0.0",
      nowMs: 0,
      expect: "a→c:0.1:r@0 b→c:0.1:r@0",
    },
  ];
  for (const c of cases) test(c.name, () => expect(run(c)).toBe(c.expect));
});

describe("spill through decide", () => {
  test("the demo: east stays home overloaded, with a share to north and its reason", () => {
    const [east, west, north] = ["east", "west", "north"].map(areaName) as [AreaName, AreaName, AreaName];
    const d = decide({
      areas: [east, west, north],
      servers: [
        { name: serverName("e1"), cluster: east, state: "up", load: 0.94 },
        { name: serverName("e2"), cluster: east, state: "up", load: 0.94 },
        { name: serverName("w1"), cluster: west, state: "up", load: 0.06 },
        { name: serverName("n1"), cluster: north, state: "up", load: 0.05 },
      ],
      previous: new Map(),
      threshold: 0.8,
      margin: 0.2,
      spill: { previous: new Map(), nowMs: 5, settleMs: SETTLE_MS, step: 0.1 },
    });
    const e = d.areas[0] as AreaAssignment;
    expect(e.cluster).toBe(east);
    expect(e.spill?.map((s) => ({ to: s.to, servers: s.servers, fraction: s.fraction, detail: s.detail }))).toEqual([
      { to: north, servers: [serverName("n1")], fraction: 0.1, detail: "east load 0.94 ≥ 0.8, north 0.05" },
    ]);
    expect(d.areas.slice(1).every((a) => a.spill === undefined)).toBe(true);
  });
});
