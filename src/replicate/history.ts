// The replicator's record of releases (kept in its state directory): which were published, when,
// with what message, and which one every server should be serving. Pure: each change returns a
// new record.
import type { SiteRelease } from "../core/types.ts";
import type { Manifest, ReleaseId } from "./manifest.ts";

export interface ReleaseRecord {
  id: ReleaseId;
  atMs: number;
  message: string;
  files: number;
  bytes: number;
  /** The tree it was made of: a server that missed it is brought over from there (resync). */
  dir?: string;
}

export interface ReleaseHistory {
  /** Oldest first; at most `keep` entries (the servers keep the same ones). */
  releases: ReleaseRecord[];
  current?: ReleaseId;
  /** The release current before it (servers still on it are not stale within content_grace_ms). */
  previous?: ReleaseId;
  /** When `current` was last switched (publish or rollback). */
  sinceMs?: number;
}

export const EMPTY_HISTORY: ReleaseHistory = { releases: [] };

/** A published release becomes current; publishing a tree already kept moves it to the front. */
export function recordPublish(h: ReleaseHistory, m: Manifest, atMs: number, message: string, keep: number, dir: string): ReleaseHistory {
  const releases = [...h.releases.filter((r) => r.id !== m.id), { id: m.id, atMs, message, files: m.files, bytes: m.bytes, dir }];
  const switched = h.current !== m.id;
  return {
    releases: releases.slice(-keep),
    current: m.id,
    ...(switched ? h.current && { previous: h.current } : h.previous && { previous: h.previous }),
    sinceMs: switched ? atMs : (h.sinceMs ?? atMs),
  };
}

export function recordRollback(h: ReleaseHistory, id: ReleaseId, atMs: number): ReleaseHistory {
  return { ...h, current: id, ...(h.current && { previous: h.current }), sinceMs: atMs };
}

/** The release to roll back to: the one asked for, or the one published before the current. */
export function rollbackTarget(h: ReleaseHistory, to?: string): { ok: true; id: ReleaseId } | { ok: false; error: string } {
  const kept = h.releases.map((r) => r.id as string).join(", ") || "none";
  if (to !== undefined) {
    const hit = h.releases.find((r) => r.id === to || (to.length >= 4 && r.id.startsWith(to)));
    return hit ? { ok: true, id: hit.id } : { ok: false, error: `release ${to} is not among the kept releases (${kept})` };
  }
  const i = h.releases.findIndex((r) => r.id === h.current);
  const prev = i > 0 ? h.releases[i - 1] : undefined;
  return prev ? { ok: true, id: prev.id } : { ok: false, error: `no release before the current one to roll back to (kept: ${kept})` };
}

/** What the replicator announces to the site: the release every server should serve. */
export function siteReleaseOf(h: ReleaseHistory): SiteRelease | undefined {
  if (!h.current || h.sinceMs === undefined) return undefined;
  return { id: h.current, ...(h.previous && { previous: h.previous }), sinceMs: h.sinceMs };
}

/** Parses the stored record; anything malformed counts as no history (the next publish rewrites it). */
export function parseHistory(raw: unknown): ReleaseHistory {
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as ReleaseHistory).releases)) return EMPTY_HISTORY;
  const h = raw as ReleaseHistory;
  const ok = h.releases.every((r) => typeof r?.id === "string" && typeof r.atMs === "number" && typeof r.message === "string");
  return ok ? h : EMPTY_HISTORY;
}

/** Delay before retry `attempt` (1-based) of a failed push: 1 s, 2 s, 4 s … at most 30 s. */
export function retryDelayMs(attempt: number, baseMs = 1000): number {
  return Math.min(30_000, baseMs * 2 ** (attempt - 1));
}
