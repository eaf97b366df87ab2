// The request spread in `walrus status`: two columns of the server table and one table per
// cluster, then the NCSA warning. A rate that is not known says "unknown", never 0.
import type { SpreadStatus } from "../ops/skew.ts";

const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(0)} %`);
const rate = (x: number | null) => (x === null ? "unknown" : x.toFixed(1));

/** REQ/S and SHARE (of its cluster) for one server. */
export function requestCells(spread: SpreadStatus | undefined, server: string): [string, string] {
  const s = spread?.servers.find((x) => x.name === server);
  return s ? [rate(s.rps), pct(s.clusterShare)] : ["unknown", "-"];
}

export function formatSpread(spread: SpreadStatus, table: (head: string[], rows: string[][]) => string): string[] {
  const rows = spread.clusters.map((c) => [
    c.cluster,
    rate(c.rps),
    pct(c.siteShare),
    c.imbalance === null ? "-" : `${c.imbalance.toFixed(2)}×${c.top ? ` (${c.top})` : ""}`,
  ]);
  return [
    `requests (means over ${spread.windowMs / 1000} s; imbalance = largest share of the cluster against an even split):`,
    table(["CLUSTER", "REQ/S", "OF SITE", "IMBALANCE"], rows),
    ...spread.warnings.map((w) => `WARNING uneven spread: ${w.text}`),
  ];
}
