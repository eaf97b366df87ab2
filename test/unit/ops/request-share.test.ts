import { expect, test } from "bun:test";
import { requestShares, type ServerRate } from "../../../src/ops/request-share.ts";

const r = (name: string, cluster: string, rps: number | null, inService = true): ServerRate => ({ name, cluster, rps, inService });
const round = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);

test.each([
  // name, rates, per server [clusterShare, siteShare], per cluster [rps, siteShare, counted, imbalance, top]
  [
    "an even cluster",
    [r("a1", "a", 10), r("a2", "a", 10)],
    [
      [0.5, 0.5],
      [0.5, 0.5],
    ],
    [[20, 1, 2, 1, "a1"]],
  ],
  [
    "NCSA: one server takes most",
    [r("a1", "a", 45), r("a2", "a", 5), r("b1", "b", 50)],
    [
      [0.9, 0.45],
      [0.1, 0.05],
      [1, 0.5],
    ],
    [
      [50, 0.5, 2, 1.8, "a1"],
      [50, 0.5, 1, null, "b1"],
    ],
  ],
  [
    "a probe server (no counter) is unknown, not zero, and not in the even split",
    [r("a1", "a", 30), r("a2", "a", null), r("a3", "a", 10)],
    [
      [0.75, 0.75],
      [null, null],
      [0.25, 0.25],
    ],
    [[40, 1, 2, 1.5, "a1"]],
  ],
  [
    "a cluster of probes only: unknown throughout",
    [r("a1", "a", null), r("b1", "b", 8)],
    [
      [null, null],
      [1, 1],
    ],
    [
      [null, null, 0, null, null],
      [8, 1, 1, null, "b1"],
    ],
  ],
  [
    "a drained server still shows its share but an even split is over the others",
    [r("a1", "a", 20), r("a2", "a", 20), r("a3", "a", 0, false)],
    [
      [0.5, 0.5],
      [0.5, 0.5],
      [0, 0],
    ],
    [[40, 1, 2, 1, "a1"]],
  ],
  [
    "no requests at all: shares are unknown, never 0/0",
    [r("a1", "a", 0), r("a2", "a", 0)],
    [
      [null, null],
      [null, null],
    ],
    [[0, null, 2, null, "a1"]],
  ],
] as const)("%s", (_name, rates, servers, clusters) => {
  const s = requestShares(rates as unknown as ServerRate[]);
  expect(s.servers.map((x) => [round(x.clusterShare), round(x.siteShare)])).toEqual(servers as unknown as (number | null)[][]);
  expect(s.clusters.map((c) => [c.rps, round(c.siteShare), c.counted, round(c.imbalance), c.top])).toEqual(clusters as unknown as (number | string | null)[][]);
});
