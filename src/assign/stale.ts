// Consistency (thesis §9): a server not serving the site's current release is stale, and is
// handed out only when its cluster has no functioning up-to-date server (see clusters.ts), as
// an overloaded one is. Pure: the round's clock reading is an argument.
import type { ServerName, ServerView, SiteRelease } from "../core/types.ts";
import { isFunctioning } from "./server-view.ts";

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
    return withStale(v, note, since);
  });
}

/**
 * Content walrus does not replicate (content_version_command): a server whose content's newest
 * change is more than the grace older than the freshest functioning server's is stale, since its
 * content time plus the grace (when a copy that stopped following became stale, if the freshest
 * follows closely). Servers that report no content time are not judged.
 */
export function markLagging(views: readonly ServerView[], contentTimeOf: (s: ServerName) => number | undefined, graceMs: number): ServerView[] {
  const newest = views.filter(isFunctioning).reduce<number | undefined>((max, v) => {
    const t = contentTimeOf(v.name);
    return t === undefined || (max !== undefined && max >= t) ? max : t;
  }, undefined);
  if (newest === undefined) return [...views];
  return views.map((v) => {
    const t = contentTimeOf(v.name);
    if (t === undefined || newest - t <= graceMs) return v;
    return withStale(v, `stale: content ${Math.round((newest - t) / 1000)} s behind the freshest server`, t + graceMs);
  });
}

const withStale = (v: ServerView, note: string, sinceMs: number): ServerView => ({
  ...v,
  stale: { why: note, sinceMs: v.stale ? Math.min(v.stale.sinceMs, sinceMs) : sinceMs },
  reason: v.reason ? `${v.reason}; ${note}` : note,
});
