import { describe, expect, test } from "bun:test";
import { clusterFigures, serversToAnswer, type ClusterFigures } from "../../../src/assign/clusters.ts";
import { markLagging, markStale, staleSinceMs } from "../../../src/assign/stale.ts";
import { areaName, serverName, type ServerView } from "../../../src/core/types.ts";

const CURRENT = { id: "9c1e000000000000", previous: "3f2a000000000000", sinceMs: 100_000 };
const GRACE = 30_000;

describe("staleSinceMs", () => {
  test.each([
    ["on the current release", CURRENT.id, undefined],
    ["on the previous release: stale once the grace is over", CURRENT.previous, 130_000],
    ["on an older release: stale since the publish", "1111000000000000", 100_000],
    ["without any release yet", "", 100_000],
    ["not reporting a release (walrus cannot tell)", undefined, undefined],
  ] as [string, string | undefined, number | undefined][])("%s", (_, release, since) => {
    expect(staleSinceMs(release, CURRENT, GRACE)).toBe(since);
  });

  test("nobody is stale while no replicator announces a release", () => {
    expect(staleSinceMs("anything", undefined, GRACE)).toBeUndefined();
  });
});

const east = areaName("east");
const answer = (v: ServerView[]): string[] => serversToAnswer(clusterFigures([east], v, 0.8).get(east) as ClusterFigures);
const view = (name: string, load: number): ServerView => ({ name: serverName(name), cluster: east, state: "up", load });

describe("markStale and the answer", () => {
  const releases = new Map([
    ["a", CURRENT.id],
    ["b", CURRENT.previous],
    ["c", "1111000000000000"],
  ]);
  const mark = (nowMs: number) => markStale([view("a", 0.5), view("b", 0.1), view("c", 0.2)], (s) => releases.get(s), CURRENT, nowMs, GRACE);

  test("within the grace only the server on an older release is stale, with a reason to read", () => {
    const v = mark(110_000);
    expect(v.map((x) => x.stale !== undefined)).toEqual([false, false, true]);
    expect(v[2]?.reason).toBe("stale: release 11110000, current 9c1e0000 since 10 s");
    expect(answer(v)).toEqual(["b", "a"]);
  });

  test("after the grace the fresh server alone is answered, however loaded", () => {
    const v = mark(140_000);
    expect(v.map((x) => x.stale !== undefined)).toEqual([false, true, true]);
    expect(answer(v)).toEqual(["a"]);
    const overloaded = markStale([view("a", 0.95), view("b", 0.1)], (s) => releases.get(s), CURRENT, 140_000, GRACE);
    expect(answer(overloaded)).toEqual(["a"]);
  });

  test("a stale server beats none", () => {
    const v = markStale([{ ...view("a", 0.1), state: "panic" }, view("b", 0.1)], (s) => releases.get(s), CURRENT, 140_000, GRACE);
    expect(answer(v)).toEqual(["b"]);
  });
});

describe("markLagging: content walrus does not replicate (content_version_command)", () => {
  const times = new Map([
    ["a", 1_000_000],
    ["b", 1_000_000 - GRACE],
    ["c", 1_000_000 - GRACE - 5000],
  ]);
  const mark = (views: ServerView[]) => markLagging(views, (s) => times.get(s), GRACE);

  test("a server more than the grace behind the freshest functioning one is stale, since its content time plus the grace", () => {
    const v = mark([view("a", 0.9), view("b", 0.1), view("c", 0.1), view("d", 0.1)]);
    expect(v.map((x) => x.stale)).toEqual([
      undefined,
      undefined,
      { why: "stale: content 35 s behind the freshest server", sinceMs: 1_000_000 - 5000 },
      undefined,
    ]);
    expect(answer(v)).toEqual(["b", "d"]);
  });

  test("the freshest is judged among functioning servers: a dead one's figure leads nobody", () => {
    const v = mark([{ ...view("a", 0.1), state: "dead" }, view("b", 0.1), view("c", 0.1)]);
    expect(v.map((x) => x.stale !== undefined)).toEqual([false, false, false]);
  });

  test("no server reports a content time: nothing changes; both checks at once keep the earlier start", () => {
    expect(markLagging([view("a", 0.1)], () => undefined, GRACE)).toEqual([view("a", 0.1)]);
    const both = mark(markStale([view("c", 0.1), view("a", 0.1)], (s) => (s === "c" ? "1111000000000000" : CURRENT.id), CURRENT, 140_000, GRACE));
    expect(both[0]?.stale?.sinceMs).toBe(CURRENT.sinceMs);
    expect(both[0]?.reason).toBe("stale: release 11110000, current 9c1e0000 since 40 s; stale: content 35 s behind the freshest server");
  });
});
