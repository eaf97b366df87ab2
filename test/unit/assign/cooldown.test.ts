import { describe, expect, test } from "bun:test";
import { coolingClusters, withClusterChanges } from "../../../src/assign/cooldown.ts";
import { areaName, peerIdText, type AreaName, type Assignment } from "../../../src/core/types.ts";

/** "east:east west:east": each area and the cluster it points at. */
function assignment(spec: string): Assignment {
  const areas = spec.split(" ").map((x) => {
    const [area, cluster] = x.split(":") as [string, string];
    return { area: areaName(area), cluster: areaName(cluster), servers: [], reason: "home" as const, detail: "" };
  });
  return { master: peerIdText("m"), epoch: 1, seq: 1, atMs: 0, areas };
}
const times = (m: ReadonlyMap<AreaName, number>) => Object.fromEntries(m);

describe("withClusterChanges: a cluster changes when it gains or loses an area", () => {
  const rows: [string, string | undefined, string, Record<string, number>][] = [
    ["the first assignment changes nothing", undefined, "east:east west:west", {}],
    ["nothing moved", "east:east west:west", "east:east west:west", {}],
    ["west moved to east: both clusters changed", "east:east west:west", "east:east west:east", { east: 500, west: 500 }],
    ["west moved back home: both changed again", "east:east west:east", "east:east west:west", { east: 500, west: 500 }],
    ["a new area has no before: no change", "east:east", "east:east west:east", {}],
  ];
  for (const [what, before, after, expected] of rows) {
    test(what, () => {
      const got = withClusterChanges(new Map(), before === undefined ? undefined : assignment(before), assignment(after), 500);
      expect(times(got)).toEqual(expected);
    });
  }

  test("earlier changes of other clusters are kept", () => {
    const earlier = new Map([[areaName("north"), 100]]);
    expect(times(withClusterChanges(earlier, assignment("east:east west:west"), assignment("east:west west:west"), 500))).toEqual({
      north: 100,
      east: 500,
      west: 500,
    });
    expect(times(earlier)).toEqual({ north: 100 }); // the input is left as it was
  });
});

describe("coolingClusters: changed less than cooldown ago", () => {
  const changed = new Map([
    [areaName("east"), 1000],
    [areaName("west"), 2000],
  ]);
  const rows: [number, string[]][] = [
    [2000, ["east", "west"]],
    [3999, ["east", "west"]],
    [4000, ["west"]], // east changed exactly cooldown ago: free again
    [4999, ["west"]],
    [5000, []],
  ];
  for (const [now, expected] of rows)
    test(`at ${now} ms with a 3000 ms cooldown: ${expected.join(", ") || "none"}`, () =>
      expect([...coolingClusters(changed, now, 3000)].map(String).sort()).toEqual(expected));
});
