// Graded shedding (issue 19, beyond the thesis): an area whose cluster is overloaded gives a
// share of its resolvers to a cluster with room, one step at a time, instead of all or nothing.
// Pure: the round's clock reading, the settle time and the previous shares are arguments.
//
// Per round, after the four phases placed every area:
// - A share whose target stopped functioning, or whose area changed cluster, is dropped at once.
// - Falls first (they free room): a share shrinks by a step when its area's cluster would stay
//   below threshold − margin with that step back, or when its target is at or above threshold
//   and worse off than the area's cluster.
// - Rises: each cluster at or above threshold grows one area's share by a step, toward the
//   cluster that is least loaded after the step, provided that cluster then stays below
//   threshold or below the giver's load before the step (so a site that cannot fit its demand
//   ends at loads within a step of each other rather than moving the overload around; a
//   saturated giver's figure understates its demand, so the estimate after the step is not used).
// A rise's conditions exclude the fall's on the loads it leaves, so steady demand never makes a
// share flip; on top of that a step is judged only once it shows in the loads (one TTL, while
// answers cached by resolvers still point at the old cluster, then fresh reports), and a change
// of direction waits REVERSE_AFTER_SETTLES such times.
import type { AreaAssignment, AreaName, SpillShare } from "../core/types.ts";
import { fmtLoad, serversToAnswer, type ClusterFigures } from "./clusters.ts";

/** An area keeps at least this share at home, so its cluster keeps a measured load to come back by. */
export const SPILL_MAX = 0.9;
/** A share changes direction only after this many settle times: hysteresis against noisy load figures. */
export const REVERSE_AFTER_SETTLES = 3;

export interface SpillInput {
  /** The four phases' result. */
  areas: readonly AreaAssignment[];
  clusters: ReadonlyMap<AreaName, ClusterFigures>;
  /** Each area's cluster and shares in the assignment in force. */
  previous: ReadonlyMap<AreaName, { cluster: AreaName; spill?: readonly SpillShare[] }>;
  nowMs: number;
  /** How long a step takes to show in the loads: the TTL plus two report intervals. */
  settleMs: number;
  threshold: number;
  margin: number;
  /** Share of an area's resolvers moved per step ([site] spill_step). */
  step: number;
}

/** A step shows in the loads once cached answers expired (one TTL) and two reports measured the change. */
export function spillSettleMs(site: { ttlSeconds: number; reportIntervalMs: number }): number {
  return site.ttlSeconds * 1000 + 2 * site.reportIntervalMs;
}

/** The shares of each area that has any after this round. */
export function spillShares(input: SpillInput): Map<AreaName, SpillShare[]> {
  const { clusters, nowMs, settleMs, threshold, margin, step } = input;
  const low = threshold - margin;
  const live = (c: AreaName | undefined) => (c === undefined ? undefined : clusters.get(c));
  const usable = (c: ClusterFigures | undefined): c is ClusterFigures & { load: number } => !!c && c.functioning.length > 0 && c.load !== undefined;

  // Shares carried over: same cluster as before, target still functioning.
  const shares = new Map<AreaName, SpillShare[]>();
  for (const a of input.areas) {
    const prev = input.previous.get(a.area);
    if (!prev || prev.cluster !== a.cluster || a.reason === "none-functioning") continue;
    const kept = (prev.spill ?? [])
      .filter((s) => s.to !== a.cluster && usable(live(s.to)))
      .map((s) => ({ ...s, servers: serversToAnswer(clusters.get(s.to) as ClusterFigures) }));
    if (kept.length) shares.set(a.area, kept);
  }

  // Load moved by one step of one area: the area's demand is its cluster's carried load over the
  // home shares of the areas there (areas on one cluster are taken as equally large).
  const homeShares = new Map<AreaName, number>();
  for (const a of input.areas) homeShares.set(a.cluster, (homeShares.get(a.cluster) ?? 0) + 1 - total(shares.get(a.area)));
  const load = new Map<AreaName, number>();
  for (const c of clusters.values()) if (usable(c)) load.set(c.name, c.load);
  const stepLoad = (from: ClusterFigures & { load: number }, to: ClusterFigures) =>
    (step * from.load * from.functioning.length) / Math.max(homeShares.get(from.name) ?? 1, step) / to.functioning.length;
  const move = (from: ClusterFigures & { load: number }, to: ClusterFigures & { load: number }, sign: 1 | -1) => {
    const amount = stepLoad(from, to);
    load.set(to.name, (load.get(to.name) as number) + sign * amount);
    load.set(from.name, (load.get(from.name) as number) - sign * amount * (to.functioning.length / from.functioning.length));
  };
  const ready = (s: { stepAtMs: number; rising: boolean }, rising: boolean) =>
    nowMs - s.stepAtMs >= settleMs * (s.rising === rising ? 1 : REVERSE_AFTER_SETTLES);

  // Falls.
  for (const a of input.areas) {
    const list = shares.get(a.area);
    const from = live(a.cluster);
    if (!list || !usable(from)) continue;
    for (const s of list) {
      const to = clusters.get(s.to) as ClusterFigures & { load: number };
      if (!ready(s, false)) continue;
      const fromLoad = load.get(from.name) as number;
      const toLoad = load.get(to.name) as number;
      const back = stepLoad(from, to) * (to.functioning.length / from.functioning.length);
      let why: string | undefined;
      if (fromLoad + back < low) why = `${from.name} load ${fmtLoad(fromLoad)} < ${fmtLoad(low)} with this step back`;
      else if (toLoad >= threshold && fromLoad + back <= toLoad)
        why = `${s.to} load ${fmtLoad(toLoad)} ≥ ${threshold}, above ${from.name} ${fmtLoad(fromLoad)}`;
      if (!why) continue;
      move(from, to, -1);
      Object.assign(s, { fraction: round(s.fraction - step), stepAtMs: nowMs, rising: false, detail: why });
    }
    const left = list.filter((s) => s.fraction > 0);
    if (left.length) shares.set(a.area, left);
    else shares.delete(a.area);
  }

  // Rises: one step per overloaded cluster, areas already shedding first (the same resolvers
  // keep moving), then in site order. A cluster that takes shares does not give any, nor the
  // reverse: its overload is the givers' to take back, and shares never go round in a circle.
  const stepped = new Set<AreaName>();
  const givers = new Set<AreaName>();
  const takers = new Set<AreaName>();
  for (const a of input.areas) for (const s of shares.get(a.area) ?? []) (givers.add(a.cluster), takers.add(s.to));
  const candidates = [...input.areas].sort((x, y) => Number(shares.has(y.area)) - Number(shares.has(x.area)));
  for (const a of candidates) {
    const from = live(a.cluster);
    if (!usable(from) || stepped.has(from.name) || takers.has(from.name) || a.reason === "none-functioning") continue;
    const fromLoad = load.get(from.name) as number;
    if (fromLoad < threshold) continue;
    const list = shares.get(a.area) ?? [];
    if (total(list) + step > SPILL_MAX + 1e-9) continue;
    const last = list.reduce<SpillShare | undefined>((m, s) => (!m || s.stepAtMs > m.stepAtMs ? s : m), undefined);
    if (last && !ready(last, true)) continue;
    let best: { to: ClusterFigures & { load: number }; after: number } | undefined;
    for (const to of clusters.values()) {
      if (to.name === from.name || !usable(to) || givers.has(to.name)) continue;
      const after = (load.get(to.name) as number) + stepLoad(from, to);
      if (after >= threshold && after >= fromLoad) continue;
      if (!best || after < best.after) best = { to, after };
    }
    if (!best) continue;
    const to = best.to;
    const detail = `${from.name} load ${fmtLoad(fromLoad)} ≥ ${threshold}, ${to.name} ${fmtLoad(load.get(to.name))}`;
    move(from, to, 1);
    stepped.add(from.name);
    givers.add(from.name);
    takers.add(to.name);
    const existing = list.find((s) => s.to === to.name);
    if (existing) Object.assign(existing, { fraction: round(existing.fraction + step), stepAtMs: nowMs, rising: true, detail });
    else list.push({ to: to.name, servers: serversToAnswer(to), fraction: step, stepAtMs: nowMs, rising: true, detail });
    shares.set(a.area, list);
  }
  return shares;
}

function total(list: readonly SpillShare[] | undefined): number {
  return (list ?? []).reduce((n, s) => n + s.fraction, 0);
}

/** Fractions stay on the step grid despite floating point. */
const round = (f: number) => Math.round(f * 1000) / 1000;
