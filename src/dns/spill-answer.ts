// An area's spill shares (issue 19) on the answer path: each share gets its own answer key in
// the zone, and a client's prefix hash picks the key. Picking is a scan of at most a few
// numbers, no allocation per query.
import type { AreaName, ServerName } from "../core/types.ts";

/** What the zone needs of one share: which cluster's servers, and how many resolvers. */
export interface SpillRoute {
  to: AreaName;
  fraction: number;
  servers: readonly ServerName[];
}

export interface SpillTable {
  /** Upper bounds in the 32-bit hash space, ascending: a hash below bounds[i] (and not an earlier one) takes keys[i]. */
  bounds: number[];
  keys: AreaName[];
}

/** The answer key of a share: area names hold no dot, so "east.spill-north" names no area (and makes a valid §8.2 own name). */
export function spillKey(area: AreaName, to: AreaName): AreaName {
  return `${area}.spill-${to}` as AreaName;
}

export function spillTable(area: AreaName, routes: readonly SpillRoute[]): SpillTable {
  const bounds: number[] = [];
  let upTo = 0;
  for (const r of routes) {
    upTo += r.fraction;
    bounds.push(Math.floor(Math.min(upTo, 1) * 2 ** 32));
  }
  return { bounds, keys: routes.map((r) => spillKey(area, r.to)) };
}

/** The key to answer with: a share's when the client's hash falls in it, else the area's own. */
export function answerKey(area: AreaName, table: SpillTable | undefined, clientHash: number | undefined): AreaName {
  if (!table || clientHash === undefined) return area;
  for (let i = 0; i < table.bounds.length; i++) if (clientHash < (table.bounds[i] as number)) return table.keys[i] as AreaName;
  return area;
}
