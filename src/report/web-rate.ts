// Requests per second between two readings of a server's cumulative hit counter (pure).

export interface HitsSample {
  hits: number;
  atMs: number;
}

/** Undefined on the first reading, when time did not move, or when the counter went back (a restart). */
export function requestsPerSecond(prev: HitsSample | undefined, cur: HitsSample): number | undefined {
  if (prev === undefined || cur.atMs <= prev.atMs || cur.hits < prev.hits) return undefined;
  return ((cur.hits - prev.hits) * 1000) / (cur.atMs - prev.atMs);
}
