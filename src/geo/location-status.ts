// The location map's part of `walrus status`: each nameserver's map version (one that differs
// from the version most nameservers hold is stale) and how this node's queries were steered.
// Pure: built from plain values, formatted as text lines.

import type { LearnedStatus } from "./learning.ts";
import type { SteeringSnapshot } from "./steering-counts.ts";

export interface LocationStatus {
  version: string;
  entries: number;
  /** The version most live nameservers answer from (ties: the lowest, so every node picks the same). */
  siteVersion: string;
  nameservers: { node: string; version: string; stale: boolean }[];
  /** This node's steering counts; null when it is not a nameserver. */
  steering: SteeringSnapshot | null;
  /** What this nameserver learned (issue 18); null when learning is off or it is not a nameserver. */
  learned: LearnedStatus | null;
}

export interface NameserverVersion {
  node: string;
  /** Undefined for a node too old to announce one. */
  version: string | undefined;
}

export function locationStatus(
  self: { version: string; size: number },
  nameservers: readonly NameserverVersion[],
  steering: SteeringSnapshot | null,
  learned: LearnedStatus | null = null,
): LocationStatus {
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
    learned,
  };
}

export function formatLocationStatus(l: LocationStatus): string[] {
  const out = [
    `location map: version ${l.version}, ${l.entries} entries${l.version === l.siteVersion ? "" : `; STALE: most nameservers answer from ${l.siteVersion}`}`,
  ];
  const stale = l.nameservers.filter((n) => n.stale);
  out.push(`  nameservers: ${l.nameservers.map((n) => `${n.node} ${n.version}${n.stale ? " (STALE)" : ""}`).join(", ") || "none heard"}`);
  if (stale.length) out.push(`  ${stale.length} nameserver(s) answer from another map: give every nameserver the same map and restart them`);
  if (!l.steering) return out;
  const areas = Object.entries(l.steering.byArea);
  out.push(`  steered (ecs / resolver / fallback): ${areas.map(([a, c]) => `${a} ${c.ecs}/${c.resolver}/${c.fallback}`).join(", ") || "no queries yet"}`);
  if (Object.keys(l.steering.malformed).length)
    out.push(
      `  malformed ECS (FORMERR): ${Object.entries(l.steering.malformed)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  if (l.learned) out.push(...formatLearned(l.learned, l.steering));
  if (l.steering.uncovered.length)
    out.push(`  resolvers not in the map (add their prefixes): ${l.steering.uncovered.map((u) => `${u.prefix} ${u.queries}`).join(", ")}`);
  return out;
}

/** Learned entries shown in the text status; `walrus locations` prints them all. */
const LEARNED_SHOWN = 10;

function formatLearned(l: LearnedStatus, steering: SteeringSnapshot): string[] {
  const total = (how?: "learned") =>
    Object.values(steering.byArea).reduce((n, c) => n + (how ? (c[how] ?? 0) : Object.values(c).reduce((a, b) => a + b, 0)), 0);
  const share = total() ? ((100 * total("learned")) / total()).toFixed(1) : "0.0";
  const out = [
    `  learned map: ${l.entries.length} entries (${l.measured} prefixes measured, ${l.planned} planned); probes sent ${l.probesSent}, lost ${l.probesLost}; samples heard ${l.samplesHeard}; ${share} % of queries answered from it`,
  ];
  for (const e of l.entries.slice(0, LEARNED_SHOWN)) {
    out.push(
      `    ${e.prefix} ${e.area} (${Object.entries(e.rttMs)
        .map(([a, ms]) => `${a} ${ms} ms`)
        .join(", ")}; ${e.samples} samples, lead ${e.leadMs.toFixed(1)} ms)`,
    );
  }
  if (l.entries.length > LEARNED_SHOWN) out.push(`    … ${l.entries.length - LEARNED_SHOWN} more: walrus locations prints them all`);
  return out;
}
