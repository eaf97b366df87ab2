// Per-cluster figures for one round, derived from the server views.
import type { AreaName, ServerName, ServerView } from "../core/types.ts";
import { isBelowThreshold, isFunctioning } from "./server-view.ts";

export interface ClusterFigures {
  name: AreaName;
  servers: ServerView[];
  functioning: ServerView[];
  below: ServerView[];
  /** Mean load of the functioning servers with figures; undefined when none. */
  load: number | undefined;
}

export function clusterFigures(areas: readonly AreaName[], servers: readonly ServerView[], threshold: number): Map<AreaName, ClusterFigures> {
  const out = new Map<AreaName, ClusterFigures>();
  for (const a of areas) out.set(a, { name: a, servers: [], functioning: [], below: [], load: undefined });
  for (const s of servers) {
    const c = out.get(s.cluster);
    if (!c) continue;
    c.servers.push(s);
    if (isFunctioning(s)) c.functioning.push(s);
    if (isBelowThreshold(s, threshold)) c.below.push(s);
  }
  for (const c of out.values()) {
    const loads = c.functioning.map((s) => s.load).filter((l): l is number => l !== undefined);
    c.load = loads.length ? loads.reduce((x, y) => x + y, 0) / loads.length : undefined;
  }
  return out;
}

/** Best first: lowest load; a cluster without figures ranks after those with; ties by name. */
export function byLoad(a: ClusterFigures, b: ClusterFigures): number {
  const la = a.load ?? Number.POSITIVE_INFINITY;
  const lb = b.load ?? Number.POSITIVE_INFINITY;
  return la === lb ? a.name.localeCompare(b.name) : la - lb;
}

/**
 * The servers an area's nameserver hands out from a cluster: those below threshold, least
 * loaded first; if all are over, every functioning one (overloaded beats no service, §3.1);
 * if none functions, every server not drained, as a last resort rather than an empty answer.
 * A stale server counts as over threshold, and among those over, the up-to-date ones go first.
 */
export function serversToAnswer(c: ClusterFigures): ServerName[] {
  const byServerLoad = (x: ServerView, y: ServerView) => (x.load ?? 0) - (y.load ?? 0) || x.name.localeCompare(y.name);
  if (c.below.length) return [...c.below].sort(byServerLoad).map((s) => s.name);
  const fresh = c.functioning.filter((s) => !s.stale);
  if (c.functioning.length) return [...(fresh.length ? fresh : c.functioning)].sort(byServerLoad).map((s) => s.name);
  const notDrained = c.servers.filter((s) => s.state !== "drained");
  return (notDrained.length ? notDrained : c.servers).map((s) => s.name);
}

export const fmtLoad = (l: number | undefined) => (l === undefined ? "unknown" : l.toFixed(2));
