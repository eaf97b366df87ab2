// The location map's part of `walrus status`: each nameserver's map version (one that differs
// from the version most nameservers hold is stale) and how this node's queries were steered.
// Pure: built from plain values, formatted as text lines.

import type { SteeringSnapshot } from "./steering-counts.ts";

export interface LocationStatus {
  version: string;
  entries: number;
  /** The version most live nameservers answer from (ties: the lowest, so every node picks the same). */
  siteVersion: string;
  nameservers: { node: string; version: string; stale: boolean }[];
  /** This node's steering counts; null when it is not a nameserver. */
  steering: SteeringSnapshot | null;
}

export interface NameserverVersion {
  node: string;
  /** Undefined for a node too old to announce one. */
  version: string | undefined;
}

export function locationStatus(self: { version: string; size: number }, nameservers: readonly NameserverVersion[], steering: SteeringSnapshot | null): LocationStatus {
  const tally = new Map<string, number>();
  for (const n of nameservers) if (n.version !== undefined) tally.set(n.version, (tally.get(n.version) ?? 0) + 1);
  const ranked = [...tally].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const siteVersion = ranked[0]?.[0] ?? self.version;
  return {
    version: self.version,
    entries: self.size,
    siteVersion,
    nameservers: nameservers
      .map((n) => ({ node: n.node, version: n.version ?? "unknown", stale: n.version !== siteVersion }))
      .sort((a, b) => a.node.localeCompare(b.node)),
    steering,
  };
}

export function formatLocationStatus(l: LocationStatus): string[] {
  const out = [`location map: version ${l.version}, ${l.entries} entries${l.version === l.siteVersion ? "" : `; STALE: most nameservers answer from ${l.siteVersion}`}`];
  const stale = l.nameservers.filter((n) => n.stale);
  out.push(`  nameservers: ${l.nameservers.map((n) => `${n.node} ${n.version}${n.stale ? " (STALE)" : ""}`).join(", ") || "none heard"}`);
  if (stale.length) out.push(`  ${stale.length} nameserver(s) answer from another map: give every nameserver the same map and restart them`);
  if (!l.steering) return out;
  const areas = Object.entries(l.steering.byArea);
  out.push(`  steered (ecs / resolver / fallback): ${areas.map(([a, c]) => `${a} ${c.ecs}/${c.resolver}/${c.fallback}`).join(", ") || "no queries yet"}`);
  if (Object.keys(l.steering.malformed).length) out.push(`  malformed ECS (FORMERR): ${Object.entries(l.steering.malformed).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (l.steering.uncovered.length) out.push(`  resolvers not in the map (add their prefixes): ${l.steering.uncovered.map((u) => `${u.prefix} ${u.queries}`).join(", ")}`);
  return out;
}
