import { expect, test } from "bun:test";
import { areaName, peerIdText, serverName, type AreaAssignment, type Assignment } from "../../../src/core/types.ts";
import { diffAssignments, Ring } from "../../../src/ops/decision-log.ts";

const area = (a: string, cluster: string, reason: AreaAssignment["reason"], detail = ""): AreaAssignment => ({
  area: areaName(a),
  cluster: areaName(cluster),
  servers: [serverName(`web-${cluster}-1`)],
  reason,
  detail,
});
const assignment = (seq: number, areas: AreaAssignment[]): Assignment => ({ master: peerIdText("p"), epoch: 3, seq, atMs: 1000 * seq, areas });

test("the first assignment records every area; later ones only what changed", () => {
  const a1 = assignment(1, [area("east", "east", "home"), area("west", "west", "home")]);
  expect(diffAssignments(undefined, a1).map((d) => [d.area, d.from, d.to, d.reason])).toEqual([
    ["east", null, "east", "home"],
    ["west", null, "west", "home"],
  ]);
  const a2 = assignment(2, [area("east", "east", "home"), area("west", "east", "availability", "west has no functioning server")]);
  expect(diffAssignments(a1, a2)).toEqual([
    { atMs: 2000, area: "west", from: "west", to: "east", reason: "availability", detail: "west has no functioning server", epoch: 3, seq: 2 },
  ]);
  expect(diffAssignments(a2, assignment(3, a2.areas))).toEqual([]);
});

test("a changed reason on the same cluster is a decision too (home → kept)", () => {
  const a1 = assignment(1, [area("east", "east", "home")]);
  const a2 = assignment(2, [area("east", "east", "kept", "east load 0.90; no cluster better by 0.2 with room")]);
  expect(diffAssignments(a1, a2).map((d) => `${d.from}→${d.to} ${d.reason}`)).toEqual(["east→east kept"]);
});

test("the ring keeps the newest items, newest first", () => {
  const r = new Ring<number>(3);
  r.push(1, 2);
  r.push(3, 4, 5);
  expect(r.newest()).toEqual([5, 4, 3]);
});

test("each spill step is a decision of its own: the cluster stays, the detail says share, target and loads", () => {
  const share = (fraction: number, detail: string) => ({
    to: areaName("north"),
    servers: [serverName("web-north-1")],
    fraction,
    stepAtMs: 0,
    rising: true,
    detail,
  });
  const a1 = assignment(1, [area("east", "east", "kept")]);
  const a2 = assignment(2, [{ ...area("east", "east", "kept"), spill: [share(0.1, "east load 0.94 ≥ 0.8, north 0.06")] }]);
  const a3 = assignment(3, [{ ...area("east", "east", "home"), spill: [share(0.3, "east load 0.93 ≥ 0.8, north 0.35")] }]);
  expect(diffAssignments(a1, a2).map((d) => `${d.from}→${d.to} ${d.reason}: ${d.detail}`)).toEqual([
    "east→east spill: east 10 % → north: east load 0.94 ≥ 0.8, north 0.06",
  ]);
  expect(diffAssignments(a2, a3).map((d) => `${d.reason}: ${d.detail}`)).toEqual(["spill: east 30 % → north: east load 0.93 ≥ 0.8, north 0.35", "home: "]);
  expect(diffAssignments(a3, assignment(4, a3.areas))).toEqual([]);
  expect(diffAssignments(a3, assignment(5, [area("east", "east", "home")])).map((d) => d.detail)).toEqual(["east 0 % → north: share ended"]);
});
