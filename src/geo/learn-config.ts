// The [learn] table: whether and how the nameservers learn where resolvers are (issue 18).
// Pure; errors through the same Fields as the rest of the config.

import type { Fields, Table } from "../core/fields.ts";
import { SAMPLES_KEPT, type LearnRule } from "./learned-map.ts";
import type { ProbeRule } from "./probe-plan.ts";

export const LEARN_KEYS = [
  "enabled",
  "probes_per_second",
  "interval_seconds",
  "min_queries",
  "min_samples",
  "margin_ms",
  "expiry_seconds",
  "timeout_ms",
] as const;

export interface LearnConfig extends LearnRule, ProbeRule {
  enabled: boolean;
  /** Queries a resolver prefix sends to this nameserver before it is measured. */
  minQueries: number;
  /** A probe not answered within this is lost (no sample). */
  timeoutMs: number;
}

export function validateLearn(f: Fields, t: Table): LearnConfig {
  const p = "learn";
  f.known(t, p, LEARN_KEYS);
  if (t.enabled !== undefined && typeof t.enabled !== "boolean") f.fail("learn.enabled", t.enabled, "true or false");
  return {
    enabled: t.enabled !== false,
    probesPerSecond: f.number(t, p, "probes_per_second", { default: 1, min: 0.01, max: 100, unit: "probes per second per nameserver" }),
    intervalMs: 1000 * f.number(t, p, "interval_seconds", { default: 60, min: 1, max: 86_400, unit: "seconds" }),
    minQueries: f.number(t, p, "min_queries", { default: 20, min: 1, max: 1_000_000, integer: true, unit: "queries" }),
    minSamples: f.number(t, p, "min_samples", { default: 2, min: 1, max: SAMPLES_KEPT, integer: true, unit: "samples" }),
    marginMs: f.number(t, p, "margin_ms", { default: 5, min: 0, max: 10_000, unit: "ms" }),
    expiryMs: 1000 * f.number(t, p, "expiry_seconds", { default: 3600, min: 10, max: 604_800, unit: "seconds" }),
    timeoutMs: f.number(t, p, "timeout_ms", { default: 2000, min: 100, max: 10_000, integer: true, unit: "ms" }),
  };
}
