import { describe, expect, test } from "bun:test";
import { areaName, peerIdText, serverName, type AreaAssignment, type Assignment } from "../../../src/core/types.ts";
import { checkAnswers, checkOneMovePerCluster, checkPingPong, record, type History } from "../../../src/sim/invariants.ts";

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

const assignment = (seq: number, areas: [string, string, AreaAssignment["reason"]][], master = "m"): Assignment => ({
  master: peerIdText(master),
  epoch: 1,
  seq,
  atMs: seq * 1000,
  areas: areas.map(([area, cluster, reason]) => ({ area: areaName(area), cluster: areaName(cluster), servers: [], reason, detail: "" })),
});

describe("checkOneMovePerCluster", () => {
  const prev = assignment(1, [["a", "a", "home"], ["b", "b", "home"], ["c", "c", "home"]]);
  test("one balance arrival per cluster passes", () => {
    expect(checkOneMovePerCluster(2, prev, assignment(2, [["a", "c", "balance"], ["b", "b", "kept"], ["c", "c", "home"]]))).toEqual([]);
  });
  test("two balance arrivals on one cluster in one round break it", () => {
    const v = checkOneMovePerCluster(2, prev, assignment(2, [["a", "c", "balance"], ["b", "c", "balance"], ["c", "c", "home"]]));
    expect(v.map((x) => x.invariant)).toEqual(["one-move-per-cluster"]);
  });
  test("availability moves are not limited", () => {
    expect(checkOneMovePerCluster(2, prev, assignment(2, [["a", "c", "availability"], ["b", "c", "availability"], ["c", "c", "home"]]))).toEqual([]);
  });
  test("assignments of another master are not compared", () => {
    expect(checkOneMovePerCluster(2, prev, assignment(2, [["a", "c", "balance"], ["b", "c", "balance"], ["c", "c", "home"]], "other"))).toEqual([]);
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
    expect(run([[1, "a"], [10, "b"], [12, "a"]], 5, 3).map((v) => v.invariant)).toEqual(["ping-pong"]);
  });
  test("going back after the window is not", () => {
    expect(run([[1, "a"], [10, "b"], [13, "a"]], 5, 3)).toEqual([]);
  });
  test("a move made before the last change in the site is a reaction, not ping-pong", () => {
    expect(run([[1, "a"], [10, "b"], [12, "a"]], 11, 3)).toEqual([]);
  });
});
