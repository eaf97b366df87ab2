import { describe, expect, test } from "bun:test";
import { formatLearnedMap } from "../../../src/commands/locations-format.ts";
import { areaName } from "../../../src/core/types.ts";
import type { LearnedStatus } from "../../../src/geo/learning.ts";
import { parseMapText } from "../../../src/geo/location-map.ts";
import { formatLocationStatus, locationStatus } from "../../../src/geo/location-status.ts";
import { decode, encode, type HeartbeatMsg } from "../../../src/net/messages.ts";

const SELF = { version: "aaaaaaaaaaaa", size: 3 };

describe("map versions across nameservers", () => {
  test("all the same: nothing stale", () => {
    const l = locationStatus(
      SELF,
      [
        { node: "ns-b", version: SELF.version },
        { node: "ns-a", version: SELF.version },
      ],
      null,
    );
    expect(l.nameservers.map((n) => [n.node, n.stale])).toEqual([
      ["ns-a", false],
      ["ns-b", false],
    ]);
    expect(formatLocationStatus(l).join("\n")).not.toContain("STALE");
  });

  test("the one nameserver that differs from the others is stale, and so named", () => {
    const l = locationStatus(
      SELF,
      [
        { node: "ns-a", version: SELF.version },
        { node: "ns-b", version: "bbbbbbbbbbbb" },
        { node: "ns-c", version: SELF.version },
      ],
      null,
    );
    expect(l.siteVersion).toBe(SELF.version);
    expect(l.nameservers.filter((n) => n.stale).map((n) => n.node)).toEqual(["ns-b"]);
    expect(formatLocationStatus(l).join("\n")).toContain("ns-b bbbbbbbbbbbb (STALE)");
  });

  test("this node is the odd one out: its own line says so", () => {
    const l = locationStatus(
      SELF,
      [
        { node: "self", version: SELF.version },
        { node: "ns-b", version: "bbbbbbbbbbbb" },
        { node: "ns-c", version: "bbbbbbbbbbbb" },
      ],
      null,
    );
    expect(formatLocationStatus(l)[0]).toContain("STALE: most nameservers answer from bbbbbbbbbbbb");
  });

  test("a nameserver that announces no version is shown as unknown and stale", () => {
    const l = locationStatus(
      SELF,
      [
        { node: "self", version: SELF.version },
        { node: "old", version: undefined },
      ],
      null,
    );
    expect(l.nameservers.find((n) => n.node === "old")).toEqual({ node: "old", version: "unknown", stale: true });
  });

  test("steering counts and uncovered prefixes are shown", () => {
    const l = locationStatus(SELF, [], {
      byArea: { east: { ecs: 5, resolver: 2, learned: 0, fallback: 1 } },
      uncovered: [{ prefix: "192.0.2.0/24", queries: 4 }],
      malformed: { "ecs-family": 1 },
    });
    const text = formatLocationStatus(l).join("\n");
    expect(text).toContain("east 5/2/1");
    expect(text).toContain("192.0.2.0/24 4");
    expect(text).toContain("ecs-family 1");
  });
});

describe("the learned map (issue 18)", () => {
  const learned: LearnedStatus = {
    entries: [
      { prefix: "192.0.2.0/24", area: areaName("east"), rttMs: { east: 5.2, west: 41, north: 80.5 }, samples: 12, leadMs: 35.8 },
      { prefix: "2001:db8:1::/48", area: areaName("north"), rttMs: { east: 79, north: 6 }, samples: 8, leadMs: 73 },
    ],
    measured: 3,
    planned: 4,
    probesSent: 61,
    probesLost: 2,
    samplesHeard: 180,
    rejected: 0,
  };

  test("status: entries, probes, samples, and the share of queries answered from it", () => {
    const l = locationStatus(
      SELF,
      [],
      {
        byArea: { east: { ecs: 0, resolver: 0, learned: 30, fallback: 10 }, north: { ecs: 0, resolver: 0, learned: 10, fallback: 0 } },
        uncovered: [],
        malformed: {},
      },
      learned,
    );
    const text = formatLocationStatus(l).join("\n");
    expect(text).toContain(
      "learned map: 2 entries (3 prefixes measured, 4 planned); probes sent 61, lost 2; samples heard 180; 80.0 % of queries answered from it",
    );
    expect(text).toContain("192.0.2.0/24 east (east 5.2 ms, west 41 ms, north 80.5 ms; 12 samples, lead 35.8 ms)");
  });

  test("walrus locations prints lines that a location_map_file reads back as the same map", () => {
    const text = formatLearnedMap(learned, "ns-east");
    const { entries, problems } = parseMapText(text, new Set(["east", "west", "north"]), "pinned.txt");
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.key, e.area])).toEqual([
      ["line 2", "east"],
      ["line 3", "north"],
    ]);
    expect(text).toContain("192.0.2.0/24 east  # east 5.2 ms, west 41 ms, north 80.5 ms; 12 samples");
  });
});

describe("heartbeat", () => {
  const hb: HeartbeatMsg = { type: "heartbeat", site: "d", node: "ns-east", roles: ["nameserver"], epoch: 0, drains: [], atMs: 1, mapVersion: "0123456789ab" };

  test("carries the map version", () => {
    const d = decode("heartbeats", encode(hb));
    expect(d.ok && d.msg.type === "heartbeat" && d.msg.mapVersion).toBe("0123456789ab");
  });

  test("a version that is not a short string is rejected", () => {
    const d = decode("heartbeats", encode({ ...hb, mapVersion: 7 } as unknown as HeartbeatMsg));
    expect(d.ok).toBe(false);
  });
});
