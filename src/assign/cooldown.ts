// Cooldown per cluster (thesis §6, Phase Four): a cluster that just received or lost an area is
// left alone for cooldown_rounds. Pure: changes and the time come in as arguments.
import type { AreaName, Assignment } from "../core/types.ts";

/** When each cluster last gained or lost an area, after `next` replaced `previous` at `atMs`. */
export function withClusterChanges(
  changedAtMs: ReadonlyMap<AreaName, number>,
  previous: Assignment | undefined,
  next: Assignment,
  atMs: number,
): ReadonlyMap<AreaName, number> {
  if (!previous) return changedAtMs;
  const before = new Map(previous.areas.map((x) => [x.area, x.cluster]));
  const out = new Map(changedAtMs);
  for (const x of next.areas) {
    const was = before.get(x.area);
    if (was !== undefined && was !== x.cluster) {
      out.set(was, atMs);
      out.set(x.cluster, atMs);
    }
  }
  return out;
}

/** Clusters whose last change is within the cooldown window. */
export function coolingClusters(changedAtMs: ReadonlyMap<AreaName, number>, nowMs: number, cooldownMs: number): Set<AreaName> {
  const out = new Set<AreaName>();
  for (const [c, at] of changedAtMs) if (nowMs - at < cooldownMs) out.add(c);
  return out;
}
