// The node's recent history of the site, in memory and bounded: every sample of the last
// `fineMs`, then one averaged sample per `bucketMs` for `coarseMs` more. /metrics stays the
// source for long-term storage; this is what the status page draws and `status --json` shows.
import type { ServerState } from "../core/types.ts";
import type { AreaPoint, HistorySample, ServerPoint } from "./history-sample.ts";
import { pack, unpack, type PackedSample } from "./packed-sample.ts";

export interface HistoryRules {
  fineMs: number;
  bucketMs: number;
  coarseMs: number;
}

/** 30 minutes at the sampling interval, then a point a minute for six hours. */
export const HISTORY_RULES: HistoryRules = { fineMs: 30 * 60_000, bucketMs: 60_000, coarseMs: 6 * 3600_000 };
/** Whatever the interval, no tier holds more than this many samples. */
const MAX_SAMPLES = 4000;

/** Worst first: a bucket shows the worst state any of its samples had, so a brief PANIC stays visible. */
const SEVERITY: readonly ServerState[] = ["panic", "dead", "bypass", "tempfail", "drained", "unknown", "up"];

const mean = (xs: readonly (number | null)[]): number | null => {
  const k = xs.filter((x): x is number => x !== null);
  return k.length ? k.reduce((a, b) => a + b, 0) / k.length : null;
};

/** One sample per `bucketMs` (aligned to multiples of it), stamped with its last sample's time:
 * loads, rates and queries averaged over the known values, the worst state, the last cluster. */
export function downsample(samples: readonly HistorySample[], bucketMs: number): HistorySample[] {
  const buckets = new Map<number, HistorySample[]>();
  for (const s of samples) {
    const k = Math.floor(s.atMs / bucketMs);
    buckets.set(k, [...(buckets.get(k) ?? []), s]);
  }
  return [...buckets.values()].map((group) => {
    const last = group[group.length - 1] as HistorySample;
    const names = (pick: (s: HistorySample) => object) => [...new Set(group.flatMap((s) => Object.keys(pick(s))))];
    const servers: Record<string, ServerPoint> = {};
    for (const n of names((s) => s.servers)) {
      const pts = group.flatMap((s) => (s.servers[n] ? [s.servers[n]] : []));
      servers[n] = {
        load: mean(pts.map((p) => p.load)),
        state: SEVERITY.find((st) => pts.some((p) => p.state === st)) ?? "unknown",
        rps: mean(pts.map((p) => p.rps)),
        inService: pts.every((p) => p.inService),
      };
    }
    const areas: Record<string, AreaPoint> = {};
    for (const n of names((s) => s.areas)) {
      const pts = group.flatMap((s) => (s.areas[n] ? [s.areas[n]] : []));
      areas[n] = { cluster: (pts[pts.length - 1] as AreaPoint).cluster, qps: mean(pts.map((p) => p.qps)) };
    }
    return { atMs: last.atMs, servers, areas };
  });
}

/** The bounded store, its samples packed (packed-sample.ts). Samples must arrive in time order (one writer: the node's sampler). */
export class History {
  private fine: PackedSample[] = [];
  /** Aged out of the fine tier, waiting for their bucket to complete. */
  private aging: PackedSample[] = [];
  private coarse: PackedSample[] = [];

  constructor(private readonly rules: HistoryRules = HISTORY_RULES) {}

  add(s: HistorySample): void {
    const last = this.fine[this.fine.length - 1];
    if (last && s.atMs <= last.atMs) return; // a clock step back: keep the order
    this.fine.push(pack(s, last));
    const cutoff = s.atMs - this.rules.fineMs;
    let aged = false;
    while ((this.fine[0] as PackedSample).atMs < cutoff || this.fine.length > MAX_SAMPLES) {
      this.aging.push(this.fine.shift() as PackedSample);
      aged = true;
    }
    if (!aged) return;
    // A bucket is complete once a later sample has aged out past it.
    const bucket = (x: PackedSample) => Math.floor(x.atMs / this.rules.bucketMs);
    const open = bucket(this.aging[this.aging.length - 1] as PackedSample);
    const done = this.aging.filter((x) => bucket(x) < open);
    if (done.length) {
      this.aging = this.aging.slice(done.length);
      for (const d of downsample(done.map(unpack), this.rules.bucketMs)) this.coarse.push(pack(d, this.coarse[this.coarse.length - 1]));
    }
    const keepFrom = s.atMs - this.rules.fineMs - this.rules.coarseMs;
    while (this.coarse.length && ((this.coarse[0] as PackedSample).atMs < keepFrom || this.coarse.length > MAX_SAMPLES)) this.coarse.shift();
  }

  /** Oldest first, from `sinceMs` (exclusive) on. */
  samples(sinceMs = -Infinity): HistorySample[] {
    return [...this.coarse, ...this.aging, ...this.fine].filter((x) => x.atMs > sinceMs).map(unpack);
  }

  /** The newest sample's time, or undefined before the first. */
  newestMs(): number | undefined {
    return this.fine[this.fine.length - 1]?.atMs;
  }

  /** The oldest sample's time. */
  oldestMs(): number | undefined {
    return (this.coarse[0] ?? this.aging[0] ?? this.fine[0])?.atMs;
  }
}
