// The simulator's load model: each area sends a demand (as a share of its home cluster's
// capacity); it spreads evenly over the servers its nameserver answered with; a server's
// load is the demand it receives over its capacity (one unit per server).
import type { AreaName, ServerName, Site } from "../core/types.ts";

export type Demand = ReadonlyMap<AreaName, number>;

export function clusterLoads(site: Site, demand: Demand, capacity: ReadonlyMap<AreaName, number>, answered: ReadonlyMap<AreaName, readonly ServerName[]>): Map<ServerName, number> {
  const load = new Map<ServerName, number>(site.servers.map((s) => [s.name, 0]));
  for (const [area, servers] of answered) {
    if (servers.length === 0) continue;
    const total = (demand.get(area) ?? 0) * (capacity.get(area) ?? 1);
    for (const s of servers) load.set(s, (load.get(s) ?? 0) + total / servers.length);
  }
  return load;
}
