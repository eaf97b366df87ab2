// Phase Three's placement (issue 19): the areas of a cluster with no functioning server go to
// the clusters with the most spare capacity, each placed area counted against its target,
// rather than all to the best one (gdnsd #126). Pure.
import type { AreaName } from "../core/types.ts";
import { byLoad, type ClusterFigures } from "./clusters.ts";

/**
 * Spare capacity is threshold × servers − load × servers (server-loads left below threshold;
 * a cluster without figures counts as full). An orphaned area is taken to weigh what an area
 * weighs on average where figures exist. Areas are placed in the given order; ties go to the
 * less loaded cluster. No functioning cluster: the map is empty.
 */
export function spreadTargets(
  orphans: readonly AreaName[],
  clusters: ReadonlyMap<AreaName, ClusterFigures>,
  threshold: number,
  areasOn: (cluster: AreaName) => number,
): Map<AreaName, ClusterFigures> {
  const targets = [...clusters.values()].filter((c) => c.functioning.length > 0).sort(byLoad);
  const used = new Map(targets.map((c) => [c.name, (c.load ?? threshold) * c.functioning.length]));
  const measured = targets.filter((c) => c.load !== undefined);
  const areas = measured.reduce((n, c) => n + areasOn(c.name), 0);
  const perArea = areas > 0 ? measured.reduce((n, c) => n + (used.get(c.name) as number), 0) / areas : threshold;
  const spare = (c: ClusterFigures) => threshold * c.functioning.length - (used.get(c.name) as number);

  const out = new Map<AreaName, ClusterFigures>();
  for (const a of orphans) {
    let best: ClusterFigures | undefined;
    for (const c of targets) if (!best || spare(c) > spare(best) + 1e-9) best = c;
    if (!best) break;
    out.set(a, best);
    used.set(best.name, (used.get(best.name) as number) + perArea);
  }
  return out;
}
