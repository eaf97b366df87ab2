// Signatures that cannot be made ahead: compact denial's NSEC at a name that does not exist
// depends on the name asked, so it is signed when first asked and kept in a bounded LRU. A
// flood of random names would otherwise turn into a flood of signing, so making them is capped
// per second; over the cap the caller answers SERVFAIL and counts it. Pure: time is passed in.

export interface OnlineLimits {
  /** Signed answers kept (each a few hundred bytes). */
  entries: number;
  /** New signatures made per second at most, in each process. */
  perSecond: number;
}

export const DEFAULT_ONLINE: OnlineLimits = { entries: 10_000, perSecond: 2000 };

export interface OnlineCache<T> {
  /** The cached value for `id`, else `make()` if the rate allows, else undefined. */
  get(id: string, nowMs: number, make: () => T): T | undefined;
  readonly made: number;
  readonly capped: number;
}

export function onlineCache<T>(limits: OnlineLimits = DEFAULT_ONLINE): OnlineCache<T> {
  const entries = new Map<string, T>();
  let tokens = limits.perSecond;
  let lastMs = 0;
  let made = 0;
  let capped = 0;
  return {
    get(id, nowMs, make) {
      const hit = entries.get(id);
      if (hit !== undefined) {
        // Map order is insertion order: re-inserting marks it most recently used.
        entries.delete(id);
        entries.set(id, hit);
        return hit;
      }
      tokens = Math.min(limits.perSecond, tokens + ((nowMs - lastMs) / 1000) * limits.perSecond);
      lastMs = nowMs;
      if (tokens < 1) {
        capped++;
        return undefined;
      }
      tokens -= 1;
      const value = make();
      made++;
      entries.set(id, value);
      if (entries.size > limits.entries) entries.delete(entries.keys().next().value!);
      return value;
    },
    get made() {
      return made;
    },
    get capped() {
      return capped;
    },
  };
}
