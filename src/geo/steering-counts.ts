// Counts of how queries were steered, per area, and the resolver prefixes most often seen that
// the map does not cover (so an operator knows what to add). Bounded whatever the traffic.

import type { AreaName } from "../core/types.ts";
import { formatPrefix, truncate, type Address } from "./address.ts";
import type { Steering, SteeredBy } from "./steer.ts";

/** Uncovered resolvers are grouped by these prefixes: a resolver farm's egress block, not one host. */
const UNCOVERED_PREFIX_LENGTH = { 4: 24, 6: 48 } as const;
/** Distinct uncovered prefixes tracked; beyond it the rarest is replaced (space-saving top-k). */
export const UNCOVERED_TRACKED = 256;

export type SteeringByArea = Record<string, Record<SteeredBy, number>>;

/** A plain snapshot, as `walrus status` and the metrics show it. */
export interface SteeringSnapshot {
  byArea: SteeringByArea;
  /** Most frequent first; `queries` may overcount by at most the count of the entry it replaced. */
  uncovered: { prefix: string; queries: number }[];
  /** Queries refused with FORMERR for a malformed ECS option, by reason. */
  malformed: Record<string, number>;
}

export class SteeringCounts {
  /** Read directly by the metrics exporter: area → how → queries. */
  readonly byArea: SteeringByArea;
  /** Read directly by the metrics exporter: reason → queries answered FORMERR. */
  readonly malformed: Record<string, number> = {};
  private readonly uncovered = new Map<string, number>();
  /** Each address's prefix text, made once: the per-source decisions share their Address objects. */
  private readonly prefixOf = new WeakMap<Address, string>();

  constructor(areas: readonly AreaName[]) {
    this.byArea = Object.fromEntries(areas.map((a) => [a, { ecs: 0, resolver: 0, fallback: 0 }]));
  }

  count(s: Steering): void {
    const area = (this.byArea[s.area as string] ??= { ecs: 0, resolver: 0, fallback: 0 });
    area[s.by]++;
    if (s.uncovered) this.noteUncovered(s.uncovered);
  }

  countMalformed(reason: string): void {
    this.malformed[reason] = (this.malformed[reason] ?? 0) + 1;
  }

  snapshot(top = 20): SteeringSnapshot {
    const byArea: SteeringByArea = {};
    for (const [a, c] of Object.entries(this.byArea)) byArea[a] = { ...c };
    const uncovered = [...this.uncovered].sort((x, y) => y[1] - x[1]).slice(0, top).map(([prefix, queries]) => ({ prefix, queries }));
    return { byArea, uncovered, malformed: { ...this.malformed } };
  }

  /** Adds what another process (a DNS worker) counted between two of its snapshots. */
  addDelta(now: SteeringSnapshot, before: SteeringSnapshot): void {
    for (const [area, c] of Object.entries(now.byArea)) {
      const into = (this.byArea[area] ??= { ecs: 0, resolver: 0, fallback: 0 });
      for (const how of ["ecs", "resolver", "fallback"] as const) into[how] += c[how] - (before.byArea[area]?.[how] ?? 0);
    }
    for (const [reason, n] of Object.entries(now.malformed)) this.malformed[reason] = (this.malformed[reason] ?? 0) + n - (before.malformed[reason] ?? 0);
    const earlier = new Map(before.uncovered.map((u) => [u.prefix, u.queries]));
    for (const u of now.uncovered) if (u.queries > (earlier.get(u.prefix) ?? 0)) this.bump(u.prefix, u.queries - (earlier.get(u.prefix) ?? 0));
  }

  private noteUncovered(a: Address): void {
    let key = this.prefixOf.get(a);
    if (key === undefined) {
      const length = UNCOVERED_PREFIX_LENGTH[a.family];
      key = formatPrefix({ family: a.family, bytes: truncate(a.bytes, length), length });
      this.prefixOf.set(a, key);
    }
    this.bump(key, 1);
  }

  private bump(key: string, queries: number): void {
    const n = this.uncovered.get(key);
    if (n !== undefined) {
      this.uncovered.set(key, n + queries);
      return;
    }
    if (this.uncovered.size < UNCOVERED_TRACKED) {
      this.uncovered.set(key, queries);
      return;
    }
    let rarest = "";
    let least = Infinity;
    for (const [k, c] of this.uncovered) if (c < least) [rarest, least] = [k, c];
    this.uncovered.delete(rarest);
    this.uncovered.set(key, least + queries);
  }
}

