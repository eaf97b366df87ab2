// The simulator's load model: each area sends a demand (as a share of its home cluster's
// capacity); the part of it its nameserver answered with a cluster spreads evenly over those
// servers (spill shares send their fractions elsewhere); a server's load is the demand it
// receives over its capacity (one unit per server).
import type { AreaName, ServerName, Site } from "../core/types.ts";

export type Demand = ReadonlyMap<AreaName, number>;

/** What clients of one area were answered: the area's servers, and any spill shares. */
export interface Answered {
  servers: readonly ServerName[];
  spill?: readonly { fraction: number; servers: readonly ServerName[] }[];
}

export function clusterLoads(
  site: Site,
  demand: Demand,
  capacity: ReadonlyMap<AreaName, number>,
  answered: ReadonlyMap<AreaName, Answered>,
): Map<ServerName, number> {
  const load = new Map<ServerName, number>(site.servers.map((s) => [s.name, 0]));
  const spread = (servers: readonly ServerName[], amount: number) => {
    for (const s of servers) load.set(s, (load.get(s) ?? 0) + amount / servers.length);
  };
  for (const [area, a] of answered) {
    const total = (demand.get(area) ?? 0) * (capacity.get(area) ?? 1);
    let home = 1;
    for (const share of a.spill ?? []) {
      if (share.servers.length === 0) continue;
      spread(share.servers, total * share.fraction);
      home -= share.fraction;
    }
    spread(a.servers, total * home);
  }
  return load;
}

/** Each cluster's mean load, for summaries: what the site would call overloaded. */
export function meanLoads(site: Site, load: ReadonlyMap<ServerName, number>): Map<AreaName, number> {
  const out = new Map<AreaName, number>();
  for (const a of site.areas) {
    const own = site.servers.filter((s) => s.area === a.name);
    out.set(a.name, own.reduce((n, s) => n + (load.get(s.name) ?? 0), 0) / Math.max(own.length, 1));
  }
  return out;
}
