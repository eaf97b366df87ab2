import { describe, expect, test } from "bun:test";
import { guardAssignment } from "../../../src/assign/heal-guard.ts";
import { areaName, peerIdText, serverName, type AreaAssignment, type Assignment } from "../../../src/core/types.ts";

/** "area:cluster:reason" per area, as an assignment of `master`. */
function assignment(master: string, ...areas: string[]): Assignment {
  return {
    master: peerIdText(master),
    epoch: 1,
    seq: 1,
    atMs: 0,
    areas: areas.map((x): AreaAssignment => {
      const [area, cluster, reason] = x.split(":") as [string, string, AreaAssignment["reason"]];
      return { area: areaName(area), cluster: areaName(cluster), servers: [serverName(`${cluster}-1`)], reason, detail: "" };
    }),
  };
}
const clusters = (a: Assignment) => a.areas.map((x) => `${x.area}:${x.cluster}`).join(" ");

// The north side was cut off, elected north, healed: east ranks first again. East moved north
// away while it could not see north's servers; north's nameserver still sees them healthy.
const ownSide = assignment("north", "east:north:availability", "west:north:availability", "north:north:home");
const merged = assignment("east", "east:east:home", "west:west:home", "north:west:kept");
const localHome = () => assignment("north", "east:east:home", "west:west:home", "north:north:home");
const HOLD = 9000;

describe("guardAssignment: a new master's assignment after a heal", () => {
  test.each([
    ["a healthy home here stays home while the reign is young", ownSide, localHome, 0, "east:east west:west north:north"],
    ["… up to just before holdMs", ownSide, localHome, HOLD - 1, "east:east west:west north:north"],
    ["past holdMs the master's word holds", ownSide, localHome, HOLD, "east:east west:west north:west"],
    [
      "an area that was not home before the switch follows the master",
      assignment("north", "east:east:home", "west:west:home", "north:east:balance"),
      localHome,
      0,
      "east:east west:west north:west",
    ],
    [
      "a home this node does not see below threshold follows the master",
      ownSide,
      () => assignment("north", "east:east:home", "west:west:home", "north:east:availability"),
      0,
      "east:east west:west north:west",
    ],
    ["nothing answered before (a fresh start) follows the master", undefined, localHome, 0, "east:east west:west north:west"],
  ] as [string, Assignment | undefined, () => Assignment, number, string][])("%s", (_what, before, local, ageMs, expected) => {
    expect(clusters(guardAssignment(merged, { sinceMs: 1000, before }, local, 1000 + ageMs, HOLD))).toBe(expected);
  });
  test("the kept area says why, and the master's own answers are untouched", () => {
    const out = guardAssignment(merged, { sinceMs: 0, before: ownSide }, localHome, 0, HOLD);
    expect(out.areas[2]).toMatchObject({ cluster: "north", servers: ["north-1"], reason: "kept" });
    expect(out.areas[2]?.detail).toContain("it says west");
    expect(out.areas.slice(0, 2)).toEqual(merged.areas.slice(0, 2));
    expect(out.master).toBe(merged.master);
  });
  test("the new master's home with only the servers it has heard again gets this node's full home set", () => {
    const partial = assignment("east", "east:east:home", "west:west:home", "north:north:home");
    const full = localHome();
    full.areas[2] = { ...full.areas[2]!, servers: [serverName("north-1"), serverName("north-2")] };
    partial.areas[2] = { ...partial.areas[2]!, servers: [serverName("north-2")] };
    expect(guardAssignment(partial, { sinceMs: 0, before: ownSide }, () => full, 0, HOLD).areas[2]?.servers).toEqual([
      serverName("north-1"),
      serverName("north-2"),
    ]);
    expect(guardAssignment(partial, { sinceMs: 0, before: ownSide }, () => full, HOLD, HOLD).areas[2]?.servers).toEqual([serverName("north-2")]);
  });
  test("an assignment that moves nothing away is returned as it is", () => {
    const home = assignment("east", "east:east:home", "west:west:home", "north:north:home");
    expect(guardAssignment(home, { sinceMs: 0, before: ownSide }, localHome, 0, HOLD)).toBe(home);
  });
});
