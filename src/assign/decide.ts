// The controller's four-phase decision (thesis §6.1) with the conservatism of §6.2.
// Pure: the same input always gives the same assignment.
import type { AreaAssignment, AreaName, ServerView } from "../core/types.ts";
import { byLoad, clusterFigures, fmtLoad, serversToAnswer, type ClusterFigures } from "./clusters.ts";
import { spillShares, type SpillInput } from "./spill.ts";
import { spreadTargets } from "./spread.ts";

export interface DecideInput {
  /** Every area, in site order; each area's home cluster carries the area's name. */
  areas: readonly AreaName[];
  servers: readonly ServerView[];
  /** Where each area pointed after the last round (home when absent). */
  previous: ReadonlyMap<AreaName, AreaName>;
  threshold: number;
  /** Phase Four moves only to a cluster whose load is lower by at least this. */
  margin: number;
  /** Clusters that received or lost an area within the cooldown (§6.2): balancing leaves them be. */
  cooling?: ReadonlySet<AreaName>;
  /** Graded shedding (spill.ts); absent: whole areas only. */
  spill?: Pick<SpillInput, "previous" | "nowMs" | "settleMs" | "step">;
}

export interface Decision {
  areas: AreaAssignment[];
  /** Phase One: servers that asked for a human. */
  panics: ServerView[];
}

export function decide(input: DecideInput): Decision {
  const clusters = clusterFigures(input.areas, input.servers, input.threshold);
  const cluster = (name: AreaName) => clusters.get(name) as ClusterFigures;
  const decided = new Map<AreaName, { cluster: AreaName; reason: AreaAssignment["reason"]; detail: string }>();
  const current = (a: AreaName) => {
    const prev = input.previous.get(a);
    return prev !== undefined && clusters.has(prev) ? prev : a;
  };

  // Phase One — problem notification: a PANIC server is out (like BYPASS) and a human is told.
  const panics = input.servers.filter((s) => s.state === "panic");

  const cooling = input.cooling ?? new Set<AreaName>();

  // Phase Two — locality preference: an area stays home while one home server is below
  // threshold. Coming back home is a move like any other: while the area's current cluster
  // or its home is cooling down, an area that functions where it is stays there (no ping-pong).
  for (const a of input.areas) {
    const home = cluster(a);
    if (!home.below.length) continue;
    const cur = cluster(current(a));
    if (cur.name !== a && cur.functioning.length && (cooling.has(a) || cooling.has(cur.name))) {
      decided.set(a, {
        cluster: cur.name,
        reason: "kept",
        detail: `home has room again, but ${cooling.has(a) ? a : cur.name} moved an area recently (cooldown)`,
      });
      continue;
    }
    decided.set(a, { cluster: a, reason: "home", detail: `home cluster has ${home.below.length} server(s) below threshold ${input.threshold}` });
  }

  // Phase Three — availability: an area whose cluster has no functioning server goes to one
  // that functions, even if already used or overloaded, spread by spare capacity (spread.ts).
  const functioning = [...clusters.values()].filter((c) => c.functioning.length).sort(byLoad);
  const orphans = input.areas.filter((a) => !decided.has(a) && !cluster(current(a)).functioning.length);
  const spread = spreadTargets(orphans, clusters, input.threshold, (c) => input.areas.filter((a) => current(a) === c).length);
  for (const a of orphans) {
    const cur = cluster(current(a));
    const target = spread.get(a);
    if (target)
      decided.set(a, {
        cluster: target.name,
        reason: "availability",
        detail: `${cur.name} has no functioning server; ${target.name} functions (load ${fmtLoad(target.load)})`,
      });
    else decided.set(a, { cluster: cur.name, reason: "none-functioning", detail: "no cluster has a functioning server; answering with what is left" });
  }

  // Phase Four — load balancing, conservatively (§6.2): worst area first, each to the best
  // cluster that received nothing in this phase yet, only when that cluster has room below
  // threshold and would still be better by the margin once it carries the area's load (its
  // share of what its current cluster carries): a move that merely overloads the target
  // would come straight back. At most one area lands on a cluster per round, and clusters in
  // their cooldown neither give nor take.
  const areasOn = new Map<AreaName, number>();
  for (const a of input.areas) areasOn.set(current(a), (areasOn.get(current(a)) ?? 0) + 1);
  const carried = (c: ClusterFigures) => (c.load ?? 0) * c.functioning.length;
  const loadWith = (target: ClusterFigures, from: ClusterFigures) =>
    (carried(target) + carried(from) / (areasOn.get(from.name) ?? 1)) / Math.max(target.functioning.length, 1);
  const received = new Set<AreaName>();
  const remaining = input.areas.filter((a) => !decided.has(a)).sort((x, y) => byLoad(cluster(current(y)), cluster(current(x))));
  for (const a of remaining) {
    const cur = cluster(current(a));
    const target = cooling.has(cur.name)
      ? undefined
      : functioning.find(
          (c) =>
            c.name !== cur.name &&
            !received.has(c.name) &&
            !cooling.has(c.name) &&
            c.below.length > 0 &&
            c.load !== undefined &&
            cur.load !== undefined &&
            loadWith(c, cur) + input.margin <= cur.load,
        );
    if (target) {
      received.add(target.name);
      decided.set(a, {
        cluster: target.name,
        reason: "balance",
        detail: `${cur.name} load ${fmtLoad(cur.load)} → ${target.name} load ${fmtLoad(target.load)}, about ${fmtLoad(loadWith(target, cur))} with this area (margin ${input.margin})`,
      });
    } else {
      decided.set(a, {
        cluster: cur.name,
        reason: "kept",
        detail: `${cur.name} load ${fmtLoad(cur.load)}; no cluster would be better by ${input.margin} with this area`,
      });
    }
  }

  const areas = input.areas.map((a): AreaAssignment => {
    const d = decided.get(a) as { cluster: AreaName; reason: AreaAssignment["reason"]; detail: string };
    return { area: a, cluster: d.cluster, servers: serversToAnswer(cluster(d.cluster)), reason: d.reason, detail: d.detail };
  });

  // Beyond the thesis: overloaded areas shed a share of their resolvers (spill.ts).
  if (input.spill) {
    const shares = spillShares({ ...input.spill, areas, clusters, threshold: input.threshold, margin: input.margin });
    for (const a of areas) if (shares.has(a.area)) a.spill = shares.get(a.area);
  }
  return { areas, panics };
}
