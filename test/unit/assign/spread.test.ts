import { describe, expect, test } from "bun:test";
import { clusterFigures } from "../../../src/assign/clusters.ts";
import { spreadTargets } from "../../../src/assign/spread.ts";
import { areaName } from "../../../src/core/types.ts";
import { servers } from "./server-spec.ts";

describe("Phase Three spreads a dead cluster's areas by spare capacity", () => {
  const cases: { name: string; areas: string; servers: string; orphans: string; expect: string }[] = [
    {
      name: "two orphans, two equal idle clusters: one each, not both on the best",
      areas: "a b c d",
      servers: "a1:dead b1:dead c1:up:0.2 d1:up:0.2",
      orphans: "a b",
      expect: "a→c b→d",
    },
    {
      name: "a cluster with four servers takes more than one with one",
      areas: "a b c e f",
      servers: "a1:dead b1:dead c1:dead c2:up:0.5 c3:up:0.5 c4:up:0.5 c5:up:0.5 e1:up:0.1 f1:dead",
      orphans: "a b f",
      expect: "a→c b→e f→c",
    },
    {
      name: "the least loaded first when capacity is equal",
      areas: "a b c",
      servers: "a1:dead b1:up:0.6 c1:up:0.3",
      orphans: "a",
      expect: "a→c",
    },
    {
      name: "a cluster without figures counts as full",
      areas: "a b c",
      servers: "a1:dead b1:up c1:up:0.7",
      orphans: "a",
      expect: "a→c",
    },
    {
      name: "nothing functions: no target",
      areas: "a b",
      servers: "a1:dead b1:panic",
      orphans: "a b",
      expect: "",
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const areas = c.areas.split(" ").map(areaName);
      const clusters = clusterFigures(areas, servers(c.servers), 0.8);
      const on = (x: string) => (clusters.get(areaName(x))?.functioning.length ? 1 : 0);
      const got = spreadTargets(c.orphans.split(" ").map(areaName), clusters, 0.8, on);
      expect([...got].map(([a, t]) => `${a}→${t.name}`).join(" ")).toBe(c.expect);
    });
  }
});
