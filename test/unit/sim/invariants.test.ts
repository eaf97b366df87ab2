import { describe, expect, test } from "bun:test";
import { areaName, peerIdText, serverName, type AreaAssignment, type Assignment } from "../../../src/core/types.ts";
import { checkAnswers, checkHomeKept, checkOneMovePerCluster, checkPingPong, checkSpillSteps, record, type History } from "../../../src/sim/invariants.ts";

const set = (...xs: string[]) => new Set(xs.map(serverName));
const answers = (o: Record<string, string[]>) => new Map(Object.entries(o).map(([a, s]) => [areaName(a), s.map(serverName)]));

describe("checkAnswers", () => {
  const base = { node: "ns-a", functioningOrRecent: set("a1", "b1"), steadilyFunctioning: set("a1", "b1"), longDown: set("c1") };
  test("answers with a functioning server pass", () => {
    expect(checkAnswers(1, 0, { ...base, answers: answers({ a: ["a1"], b: ["b1", "a1"] }) })).toEqual([]);
  });
  test("an area answered only with servers that do not function breaks availability", () => {
    const v = checkAnswers(1, 0, { ...base, answers: answers({ a: ["a2"] }) });
    expect(v.map((x) => x.invariant)).toEqual(["availability"]);
  });
  test("a server down longer than the window must not be answered", () => {
    const v = checkAnswers(1, 0, { ...base, answers: answers({ a: ["a1", "c1"] }) });
    expect(v.map((x) => x.invariant)).toEqual(["dead-server-answered"]);
  });
  test("with nothing steadily functioning, the last-resort answer is not judged", () => {
    expect(checkAnswers(1, 0, { ...base, steadilyFunctioning: set(), answers: answers({ a: ["c1"] }) })).toEqual([]);
  });
});

describe("checkHomeKept", () => {
  const clusterOf = (s: string) => areaName(s.slice(0, 1));
  const healthy = answers({ a: ["a1"], b: [] });
  test("an area with a steadily healthy home answered at home passes", () => {
    expect(checkHomeKept(1, 0, "ns-a", answers({ a: ["a1", "a2"], b: ["a1"] }), healthy, clusterOf)).toEqual([]);
  });
  test("any server of another cluster in its answer breaks it", () => {
    const v = checkHomeKept(1, 0, "ns-a", answers({ a: ["a1", "b1"] }), healthy, clusterOf);
    expect(v.map((x) => [x.invariant, x.detail.includes("b1")])).toEqual([["left-healthy-home", true]]);
  });
  test("an area without a healthy home in sight may be answered anywhere", () => {
    expect(checkHomeKept(1, 0, "ns-a", answers({ b: ["a1"] }), healthy, clusterOf)).toEqual([]);
  });
});

const assignment = (seq: number, areas: [string, string, AreaAssignment["reason"]][], master = "m"): Assignment => ({
  master: peerIdText(master),
  epoch: 1,
  seq,
  atMs: seq * 1000,
  areas: areas.map(([area, cluster, reason]) => ({ area: areaName(area), cluster: areaName(cluster), servers: [], reason, detail: "" })),
});

describe("checkOneMovePerCluster", () => {
  const prev = assignment(1, [
    ["a", "a", "home"],
    ["b", "b", "home"],
    ["c", "c", "home"],
  ]);
  test("one balance arrival per cluster passes", () => {
    expect(
      checkOneMovePerCluster(
        2,
        prev,
        assignment(2, [
          ["a", "c", "balance"],
          ["b", "b", "kept"],
          ["c", "c", "home"],
        ]),
      ),
    ).toEqual([]);
  });
  test("two balance arrivals on one cluster in one round break it", () => {
    const v = checkOneMovePerCluster(
      2,
      prev,
      assignment(2, [
        ["a", "c", "balance"],
        ["b", "c", "balance"],
        ["c", "c", "home"],
      ]),
    );
    expect(v.map((x) => x.invariant)).toEqual(["one-move-per-cluster"]);
  });
  test("availability moves are not limited", () => {
    expect(
      checkOneMovePerCluster(
        2,
        prev,
        assignment(2, [
          ["a", "c", "availability"],
          ["b", "c", "availability"],
          ["c", "c", "home"],
        ]),
      ),
    ).toEqual([]);
  });
  test("assignments of another master are not compared", () => {
    expect(
      checkOneMovePerCluster(
        2,
        prev,
        assignment(
          2,
          [
            ["a", "c", "balance"],
            ["b", "c", "balance"],
            ["c", "c", "home"],
          ],
          "other",
        ),
      ),
    ).toEqual([]);
  });
});

describe("checkPingPong", () => {
  const run = (moves: [number, string][], calmSince: number, within: number) => {
    const h: History = new Map();
    let last: number[] = [];
    for (const [round, cluster] of moves) {
      record(h, round, assignment(round, [["a", cluster, "balance"]]));
      last = [round];
    }
    return checkPingPong(last[0] as number, 0, h, calmSince, within);
  };
  test("going back within the window while calm is ping-pong", () => {
    expect(
      run(
        [
          [1, "a"],
          [10, "b"],
          [12, "a"],
        ],
        5,
        3,
      ).map((v) => v.invariant),
    ).toEqual(["ping-pong"]);
  });
  test("going back after the window is not", () => {
    expect(
      run(
        [
          [1, "a"],
          [10, "b"],
          [13, "a"],
        ],
        5,
        3,
      ),
    ).toEqual([]);
  });
  test("a move made before the last change in the site is a reaction, not ping-pong", () => {
    expect(
      run(
        [
          [1, "a"],
          [10, "b"],
          [12, "a"],
        ],
        11,
        3,
      ),
    ).toEqual([]);
  });
});

describe("checkSpillSteps", () => {
  const SETTLE = 22_000;
  const withShare = (seq: number, atMs: number, fraction: number | undefined, stepAtMs: number, rising: boolean): Assignment => ({
    master: peerIdText("m"),
    epoch: 1,
    seq,
    atMs,
    areas: [
      {
        area: areaName("a"),
        cluster: areaName("a"),
        servers: [],
        reason: "kept",
        detail: "",
        ...(fraction === undefined ? {} : { spill: [{ to: areaName("b"), servers: [], fraction, stepAtMs, rising, detail: "" }] }),
      },
    ],
  });
  test("one step after a settle time, and a reversal after three, pass", () => {
    expect(checkSpillSteps(2, withShare(1, 0, 0.1, 0, true), withShare(2, SETTLE, 0.2, SETTLE, true), SETTLE, 0.1)).toEqual([]);
    expect(checkSpillSteps(2, withShare(1, 0, 0.2, 0, true), withShare(2, 3 * SETTLE, 0.1, 3 * SETTLE, false), SETTLE, 0.1)).toEqual([]);
    expect(checkSpillSteps(2, withShare(1, 0, undefined, 0, true), withShare(2, 5, 0.1, 5, true), SETTLE, 0.1)).toEqual([]);
  });
  test("a reversal sooner than three settle times is a flip", () => {
    expect(checkSpillSteps(2, withShare(1, 0, 0.2, 0, true), withShare(2, SETTLE, 0.1, SETTLE, false), SETTLE, 0.1).map((v) => v.invariant)).toEqual([
      "spill-step",
    ]);
  });
  test("two steps at once, or a step before the last one settled, break it", () => {
    expect(checkSpillSteps(2, withShare(1, 0, 0.1, 0, true), withShare(2, SETTLE, 0.3, SETTLE, true), SETTLE, 0.1).map((v) => v.invariant)).toEqual([
      "spill-step",
    ]);
    expect(checkSpillSteps(2, withShare(1, 0, 0.1, 0, true), withShare(2, SETTLE - 1, 0.2, SETTLE - 1, true), SETTLE, 0.1).map((v) => v.invariant)).toEqual([
      "spill-step",
    ]);
  });
  test("another master's assignment is not compared", () => {
    expect(checkSpillSteps(2, { ...withShare(1, 0, 0.1, 0, true), master: peerIdText("other") }, withShare(2, 1, 0.5, 1, true), SETTLE, 0.1)).toEqual([]);
  });
});
