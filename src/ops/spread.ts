// The spread of requests and the site's recent history on one node: samples what the node
// shows once per report interval into the bounded history, and from it the request shares and
// the NCSA warning that `walrus status`, the page and /metrics show. The timer is the only edge.
import type { SpreadConfig } from "../config/types.ts";
import type { StatusReport } from "./status.ts";
import type { Clock } from "../core/clock.ts";
import type { Timers } from "../core/timers.ts";
import type { Report, Site } from "../core/types.ts";
import { History, type HistorySample } from "./history.ts";
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
  status: () => StatusReport;
  reports: () => ReadonlyMap<string, { report: Report }>;
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
    const s = init.status();
    const byArea = s.locations?.steering?.byArea;
    const cur = byArea ? { atMs: now, byArea: Object.fromEntries(Object.entries(byArea).map(([a, c]) => [a, c.ecs + c.resolver + c.fallback])) } : undefined;
    const reports = init.reports();
    history.add(takeSample(now, s, (n) => reports.get(n)?.report, { prev: prevQueries, cur }));
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
