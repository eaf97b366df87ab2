// Pure validation of the [spread] table: when `walrus status` warns that one server takes far
// more than its share of its cluster's requests (the NCSA case; see src/ops/skew.ts).
import type { Fields, Table } from "../core/fields.ts";
import type { SpreadConfig } from "./types.ts";

const P = "spread";
/** The skew window is judged on the history's full-resolution part (src/ops/history.ts). */
const SKEW_FOR_MS_MAX = 30 * 60_000;

export function validateSpread(f: Fields, t: Table): SpreadConfig {
  f.known(t, P, ["skew_factor", "skew_for_ms"]);
  return {
    skewFactor: f.number(t, P, "skew_factor", { default: 1.5, min: 1.05, max: 100, unit: "times an even split" }),
    skewForMs: f.number(t, P, "skew_for_ms", { default: 300_000, min: 1000, max: SKEW_FOR_MS_MAX, integer: true, unit: "ms" }),
  };
}
