// The learned location map: resolver prefix → the area with the lowest measured round trip.
// Every nameserver feeds the same gossiped samples into this rule, so every one derives the same
// map. Pure: time enters as an argument; memory is bounded whatever the traffic.

import type { AreaName } from "../core/types.ts";
import { LocationMap, type LocationEntry } from "./location-map.ts";
import { parsePrefix, type Prefix } from "./address.ts";

/** One round trip measured by an area's nameserver to a resolver of a prefix. */
export interface RttSample {
  /** A /24 or /48 in canonical text ("192.0.2.0/24"). */
  prefix: string;
  area: AreaName;
  rttMs: number;
  atMs: number;
}

export interface LearnRule {
  /** Samples each area needs (per prefix) before it can be chosen. */
  minSamples: number;
  /** A better area must be faster than the chosen one by this much, so noise never flips a prefix. */
  marginMs: number;
  /** Samples older than this are forgotten; a prefix with none left leaves the map. */
  expiryMs: number;
}

/**
 * Samples kept per prefix and area; the estimate is their minimum. Delay from queues and busy
 * hosts only ever adds to a round trip (measured here with load averages of 50 on two cores:
 * single samples 20 to 35 times the path's delay, and with four kept a prefix still flipped
 * now and then), so the least of several is the path; a path that got slower shows once its
 * fast samples are pushed out, after this many new ones (8 minutes at the default interval).
 */
export const SAMPLES_KEPT = 8;
/** Prefixes tracked; beyond it the one measured longest ago is dropped. ~200 bytes each. */
export const LEARNED_PREFIXES_MAX = 10_000;

export interface LearnedEntry {
  prefix: string;
  area: AreaName;
  /** Current estimate per area that has samples, ms. */
  rttMs: Record<string, number>;
  samples: number;
  /** How much faster the chosen area is than the next best, ms: the entry's confidence. */
  leadMs: number;
}

interface AreaSamples {
  rttMs: number[];
  atMs: number[];
}

interface PrefixState {
  prefix: Prefix;
  byArea: Map<AreaName, AreaSamples>;
  chosen?: AreaName;
}

export class LearnedTable {
  private readonly prefixes = new Map<string, PrefixState>();
  private snapshot = new LocationMap([]);
  private changed = false;

  constructor(
    private readonly rule: LearnRule,
    private readonly max = LEARNED_PREFIXES_MAX,
  ) {}

  get size(): number {
    return this.prefixes.size;
  }

  /** Adds a sample; a prefix that is not a /24 or /48 is ignored (the gossip edge checks it first). */
  add(s: RttSample): void {
    let p = this.prefixes.get(s.prefix);
    if (p) this.prefixes.delete(s.prefix);
    else {
      const prefix = parsePrefix(s.prefix);
      if (typeof prefix === "string") return;
      p = { prefix, byArea: new Map() };
      if (this.prefixes.size >= this.max) this.evictOldest();
    }
    // Re-inserted: the map's order is "measured longest ago first".
    this.prefixes.set(s.prefix, p);
    let a = p.byArea.get(s.area);
    if (!a) p.byArea.set(s.area, (a = { rttMs: [], atMs: [] }));
    a.rttMs.push(s.rttMs);
    a.atMs.push(s.atMs);
    if (a.rttMs.length > SAMPLES_KEPT) {
      a.rttMs.shift();
      a.atMs.shift();
    }
  }

  /**
   * Applies the rule at `nowMs` and returns whether the map changed. Per prefix:
   * 1. forget samples older than the expiry; a prefix left with none leaves the table;
   * 2. an area is a candidate once it has minSamples samples; the estimate is their minimum;
   * 3. no choice yet: the fastest candidate, once at least two areas are candidates;
   * 4. a choice: kept unless another candidate beats it by more than the margin, or it has no
   *    samples left (then the fastest candidate, or nothing).
   */
  decide(nowMs: number): boolean {
    for (const [key, p] of this.prefixes) {
      for (const [area, a] of p.byArea) {
        let drop = 0;
        while (drop < a.atMs.length && nowMs - (a.atMs[drop] as number) > this.rule.expiryMs) drop++;
        if (drop) {
          a.atMs.splice(0, drop);
          a.rttMs.splice(0, drop);
        }
        if (a.atMs.length === 0) p.byArea.delete(area);
      }
      if (p.byArea.size === 0) {
        if (p.chosen) this.changed = true;
        this.prefixes.delete(key);
        continue;
      }
      const next = choose(p, this.rule);
      if (next !== p.chosen) {
        p.chosen = next;
        this.changed = true;
      }
    }
    if (!this.changed) return false;
    this.changed = false;
    this.snapshot = new LocationMap(
      this.entries().map((e): LocationEntry => ({ prefix: parsePrefix(e.prefix) as Prefix, area: e.area, file: "learned", key: e.prefix })),
    );
    return true;
  }

  /** The learned map as the answer path reads it: rebuilt only when decide() changed it. */
  map(): LocationMap {
    return this.snapshot;
  }

  entries(): LearnedEntry[] {
    const out: LearnedEntry[] = [];
    for (const [prefix, p] of this.prefixes) {
      if (!p.chosen) continue;
      const rttMs: Record<string, number> = {};
      let samples = 0;
      for (const [area, a] of p.byArea) {
        rttMs[area] = Math.min(...a.rttMs);
        samples += a.rttMs.length;
      }
      const own = rttMs[p.chosen] ?? 0;
      const others = Object.entries(rttMs)
        .filter(([a]) => a !== p.chosen)
        .map(([, v]) => v);
      out.push({ prefix, area: p.chosen, rttMs, samples, leadMs: others.length ? Math.min(...others) - own : 0 });
    }
    return out.sort((x, y) => x.prefix.localeCompare(y.prefix));
  }

  private evictOldest(): void {
    const oldest = this.prefixes.keys().next();
    if (oldest.done) return;
    if (this.prefixes.get(oldest.value)?.chosen) this.changed = true;
    this.prefixes.delete(oldest.value);
  }
}

function choose(p: PrefixState, rule: LearnRule): AreaName | undefined {
  let best: AreaName | undefined;
  let bestMs = Infinity;
  let candidates = 0;
  for (const [area, a] of p.byArea) {
    if (a.rttMs.length < rule.minSamples) continue;
    candidates++;
    const ms = Math.min(...a.rttMs);
    // Ties go to the lower name, so every node picks the same area.
    if (ms < bestMs || (ms === bestMs && best !== undefined && area < best)) [best, bestMs] = [area, ms];
  }
  const current = p.chosen && p.byArea.get(p.chosen);
  if (!current || current.rttMs.length === 0) return candidates >= 2 ? best : undefined;
  return best !== undefined && bestMs + rule.marginMs < Math.min(...current.rttMs) ? best : p.chosen;
}
