// The NCSA case: one server taking far more than its even share of its cluster's requests for a
// while. Pure over history samples; the window's clock reading is an argument.
import type { HistorySample } from "./history-sample.ts";
import { requestShares, type ClusterShare, type RequestShares, type ServerRate, type ServerShare } from "./request-share.ts";

export interface SkewRules {
  /** Warn when a server's share of its cluster is at least this many times an even split. */
  factor: number;
  /** ... averaged over this long, with history covering all of it. */
  forMs: number;
}

export interface SkewWarning {
  cluster: string;
  server: string;
  /** Its share of the cluster's requests over the window, and what an even split would give. */
  share: number;
  even: number;
  forMs: number;
}

/** What `walrus status`, the page and /metrics show of the spread (built in spread.ts). */
export interface SpreadStatus {
  /** Rates and shares are means over this long. */
  windowMs: number;
  servers: ServerShare[];
  clusters: ClusterShare[];
  warnings: (SkewWarning & { text: string })[];
  skewFactor: number;
}

/** Below this many requests in the window a share says nothing (3 of 4 requests is not a pattern). */
export const MIN_SKEW_REQUESTS = 30;

/** What usually causes it, for the operator. */
export const SKEW_CAUSES = "usually long TTLs, resolvers that pin one address, or clients that ignore the rotation";

/** Each server's mean known rate over the samples after `fromMs`; in service if it was in the
 * newest. A server dead (or unheard of) in the newest sample has no current rate: unknown. */
export function meanRates(samples: readonly HistorySample[], fromMs: number, clusterOf: (server: string) => string): ServerRate[] {
  const window = samples.filter((s) => s.atMs > fromMs);
  const newest = window[window.length - 1];
  if (!newest) return [];
  return Object.entries(newest.servers).map(([name, p]) => {
    const known = window.flatMap((s) => {
      const r = s.servers[name]?.rps;
      return r === null || r === undefined ? [] : [r];
    });
    const gone = p.state === "dead" || p.state === "unknown";
    return { name, cluster: clusterOf(name), rps: !gone && known.length ? known.reduce((a, b) => a + b, 0) / known.length : null, inService: p.inService };
  });
}

/** Shares over the samples after `fromMs`, each server placed in its cluster by `clusterOf`. */
export function sharesOver(samples: readonly HistorySample[], fromMs: number, clusterOf: (server: string) => string): RequestShares {
  return requestShares(meanRates(samples, fromMs, clusterOf));
}

/** Clusters where one in-service server has held at least `factor` × an even share over the whole window. */
export function skewWarnings(samples: readonly HistorySample[], nowMs: number, rules: SkewRules, clusterOf: (server: string) => string): SkewWarning[] {
  const fromMs = nowMs - rules.forMs;
  const oldest = samples[0];
  if (!oldest || oldest.atMs > fromMs) return []; // not watched for long enough yet
  const shares = sharesOver(samples, fromMs, clusterOf);
  const seconds = rules.forMs / 1000;
  return shares.clusters.flatMap((c) => {
    if (c.imbalance === null || c.top === null || c.imbalance < rules.factor || (c.rps ?? 0) * seconds < MIN_SKEW_REQUESTS) return [];
    return [{ cluster: c.cluster, server: c.top, share: c.imbalance / c.counted, even: 1 / c.counted, forMs: rules.forMs }];
  });
}
