// Consistency (thesis §9): a server not serving the site's current release is stale, and is
// handed out only when its cluster has no functioning up-to-date server (see clusters.ts), as
// an overloaded one is. Pure: the round's clock reading is an argument.
import type { ServerName, ServerView, SiteRelease } from "../core/types.ts";

/** Since when a server serving `release` is stale, or undefined when it is not (or walrus cannot tell). */
export function staleSinceMs(release: string | undefined, current: SiteRelease | undefined, graceMs: number): number | undefined {
  if (!current || release === undefined || release === current.id) return undefined;
  return release === current.previous ? current.sinceMs + graceMs : current.sinceMs;
}

/** The newest of the releases announced (by publish or rollback time). */
export function newestRelease(announced: readonly SiteRelease[]): SiteRelease | undefined {
  return announced.reduce<SiteRelease | undefined>((best, r) => (!best || r.sinceMs > best.sinceMs ? r : best), undefined);
}

const short = (id: string) => (id ? id.slice(0, 8) : "none");

/** Marks the stale servers of a round, with a reason an operator reads in status and on the page. */
export function markStale(
  views: readonly ServerView[],
  releaseOf: (s: ServerName) => string | undefined,
  current: SiteRelease | undefined,
  nowMs: number,
  graceMs: number,
): ServerView[] {
  if (!current) return [...views];
  return views.map((v) => {
    const release = releaseOf(v.name);
    const since = staleSinceMs(release, current, graceMs);
    if (since === undefined || nowMs < since || release === undefined) return v;
    const note = `stale: release ${short(release)}, current ${short(current.id)} since ${Math.round((nowMs - current.sinceMs) / 1000)} s`;
    return { ...v, stale: { release, current: current.id, sinceMs: since }, reason: v.reason ? `${v.reason}; ${note}` : note };
  });
}
