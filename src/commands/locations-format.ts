// `walrus locations`: the learned map in the location_map_file format, each line commented with
// what it was learned from, so an operator can read it, edit it and pin it.
import type { LearnedStatus } from "../geo/learning.ts";

export function formatLearnedMap(l: LearnedStatus, node: string): string {
  const out = [`# learned location map from ${node}: ${l.entries.length} entries; "CIDR AREA", as location_map_file reads it`];
  for (const e of l.entries) {
    const rtts = Object.entries(e.rttMs)
      .map(([a, ms]) => `${a} ${ms} ms`)
      .join(", ");
    out.push(`${e.prefix} ${e.area}  # ${rtts}; ${e.samples} samples`);
  }
  return `${out.join("\n")}\n`;
}
