// Operator drains as a last-writer-wins table: the newest command per server wins, so any
// node's copy can be merged into any other's and every node converges on the same table.
import type { DrainEntry, ServerName } from "../core/types.ts";

export type Drains = ReadonlyMap<ServerName, DrainEntry>;

/** Newer wins; on equal times a drain beats an undrain, then the larger author, then the
 * larger reason: a total order, so merging in any order gives every node the same table. */
function newer(a: DrainEntry, b: DrainEntry): boolean {
  if (a.atMs !== b.atMs) return a.atMs > b.atMs;
  if (a.drained !== b.drained) return a.drained;
  if (a.by !== b.by) return a.by > b.by;
  return a.reason > b.reason;
}

/** Returns the merged table, or undefined when nothing changed (so callers persist only on change). */
export function mergeDrains(table: Drains, incoming: readonly DrainEntry[], knownServers: ReadonlySet<string>): Map<ServerName, DrainEntry> | undefined {
  let next: Map<ServerName, DrainEntry> | undefined;
  for (const e of incoming) {
    if (!knownServers.has(e.server)) continue;
    const cur = (next ?? table).get(e.server);
    if (cur && !newer(e, cur)) continue;
    next ??= new Map(table);
    next.set(e.server, e);
  }
  return next;
}
