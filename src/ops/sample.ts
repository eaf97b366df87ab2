// One history sample from what the node shows now (its status report) and the servers' request
// rates. Pure: the reading's time is an argument.
import type { StatusReport } from "./status.ts";
import type { Report } from "../core/types.ts";
import type { HistorySample, ServerPoint } from "./history-sample.ts";

/** DNS queries answered per area so far (a nameserver's steering counts), at a time. */
export interface QueryTotals {
  atMs: number;
  byArea: Record<string, number>;
}

/** A server's request rate as its newest report gives it: unknown (null) for a server without a
 * counter (http/tcp probes, PANIC), on the reading after a counter reset, or with no live report. */
export function reportedRate(report: Report | undefined, state: ServerPoint["state"]): number | null {
  if (!report || state === "dead" || state === "unknown") return null;
  return report.web?.requestsPerSecond ?? null;
}

/** Per area, queries per second since the previous totals; null when not a nameserver or on the first. */
export function queryRate(prev: QueryTotals | undefined, cur: QueryTotals | undefined, area: string): number | null {
  if (!prev || !cur || cur.atMs <= prev.atMs) return null;
  const a = cur.byArea[area];
  const b = prev.byArea[area];
  if (a === undefined || b === undefined || a < b) return null;
  return ((a - b) * 1000) / (cur.atMs - prev.atMs);
}

export function takeSample(
  atMs: number,
  status: Pick<StatusReport, "servers" | "areas">,
  reports: (server: string) => Report | undefined,
  queries: { prev?: QueryTotals; cur?: QueryTotals },
): HistorySample {
  const servers: Record<string, ServerPoint> = {};
  for (const v of status.servers) {
    const state = v.drained ? "drained" : v.state;
    const inService = !v.drained && (v.state === "up" || (v.state === "tempfail" && v.load !== null));
    servers[v.name] = { load: v.load, state, rps: reportedRate(reports(v.name), state), inService };
  }
  const areas = Object.fromEntries(status.areas.map((a) => [a.area, { cluster: a.cluster, qps: queryRate(queries.prev, queries.cur, a.area) }]));
  return { atMs, servers, areas };
}
