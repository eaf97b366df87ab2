// The spread of requests and the site's recent history on one node: samples what the node
// shows (its status's areas and servers, not the whole report) once per report interval into
// the bounded history, and from it the request shares and the NCSA warning that `walrus
// status`, the page and /metrics show. The timer is the only edge.
import type { SpreadConfig } from "../config/types.ts";
import type { StatusReport } from "./status.ts";
import type { SteeringByArea } from "../geo/steering-counts.ts";
import type { Clock } from "../core/clock.ts";
import type { Timers } from "../core/timers.ts";
import type { Report, Site } from "../core/types.ts";
import { History } from "./history.ts";
import type { HistorySample } from "./history-sample.ts";
import { takeSample, type QueryTotals } from "./sample.ts";
import { sharesOver, SKEW_CAUSES, skewWarnings, type SkewWarning, type SpreadStatus } from "./skew.ts";

/** Shares shown as "now" are averaged over this long: one report's rate is too noisy. */
export const SHARE_WINDOW_MS = 10_000;

export interface Spread {
  status(): SpreadStatus;
  /** Samples after `sinceMs`, oldest first. */
  history(sinceMs?: number): HistorySample[];
  stop(): void;
}

export function startSpread(init: {
  site: Site;
  rules: SpreadConfig;
  /** The rows status shows and the reports they come from, read at one instant. */
  rows: () => { rows: Pick<StatusReport, "areas" | "servers">; reports: ReadonlyMap<string, { report: Report }> };
  /** A nameserver's queries answered so far, by area and how they were steered. */
  steering?: SteeringByArea;
  clock: Clock;
  timers: Timers;
}): Spread {
  const history = new History();
  const clusterOf = new Map(init.site.servers.map((s) => [s.name as string, s.area as string]));
  const cluster = (server: string) => clusterOf.get(server) ?? "?";
  const intervalMs = Math.max(1000, init.site.reportIntervalMs);
  let prevQueries: QueryTotals | undefined;

  const tick = () => {
    const now = init.clock();
    const { rows, reports } = init.rows();
    const byArea = init.steering;
    const cur = byArea ? { atMs: now, byArea: Object.fromEntries(Object.entries(byArea).map(([a, c]) => [a, c.ecs + c.resolver + c.fallback])) } : undefined;
    history.add(takeSample(now, rows, (n) => reports.get(n)?.report, { prev: prevQueries, cur }));
    prevQueries = cur;
  };

  return {
    status() {
      const now = init.clock();
      // Two intervals more than the windows: the skew check needs a sample from before its start.
      const samples = history.samples(now - Math.max(SHARE_WINDOW_MS, init.rules.skewForMs) - 2 * intervalMs);
      const shares = sharesOver(samples, now - SHARE_WINDOW_MS, cluster);
      const warnings = skewWarnings(samples, now, { factor: init.rules.skewFactor, forMs: init.rules.skewForMs }, cluster).map((w) => ({
        ...w,
        text: skewText(w),
      }));
      return { windowMs: SHARE_WINDOW_MS, ...shares, warnings, skewFactor: init.rules.skewFactor };
    },
    history: (sinceMs) => history.samples(sinceMs),
    stop: init.timers.every(intervalMs, tick),
  };
}

const pct = (x: number) => `${Math.round(100 * x)} %`;

export function skewText(w: SkewWarning): string {
  const span = w.forMs >= 60_000 ? `${Math.round(w.forMs / 60_000)} min` : `${Math.round(w.forMs / 1000)} s`;
  return `${w.server} took ${pct(w.share)} of cluster ${w.cluster}'s requests over the last ${span} (an even split is ${pct(w.even)}): ${SKEW_CAUSES}`;
}
