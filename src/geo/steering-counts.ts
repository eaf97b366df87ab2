// Counts of how queries were steered, per area, and the resolver prefixes most often seen that
// the map does not cover (so an operator knows what to add). Bounded whatever the traffic.

import type { AreaName } from "../core/types.ts";
import { formatAddress, formatPrefix, truncate, type Address } from "./address.ts";
import { STEERED_BY, type Steering, type SteeredBy } from "./steer.ts";

/** Uncovered resolvers are grouped by these prefixes: a resolver farm's egress block, not one host. */
const UNCOVERED_PREFIX_LENGTH = { 4: 24, 6: 48 } as const;
/** Distinct uncovered prefixes tracked; beyond it the rarest is replaced (space-saving top-k). */
export const UNCOVERED_TRACKED = 256;

export type SteeringByArea = Record<string, Record<SteeredBy, number>>;

/** A plain snapshot, as `walrus status` and the metrics show it. */
export interface SteeringSnapshot {
  byArea: SteeringByArea;
  /** Most frequent first; `queries` may overcount by at most the count of the entry it replaced.
   * `address`: the latest resolver seen in the prefix (the one the nameserver may measure). */
  uncovered: { prefix: string; queries: number; address?: string }[];
  /** Queries refused with FORMERR for a malformed ECS option, by reason. */
  malformed: Record<string, number>;
}

export class SteeringCounts {
  /** Read directly by the metrics exporter: area → how → queries. */
  readonly byArea: SteeringByArea;
  /** Read directly by the metrics exporter: reason → queries answered FORMERR. */
  readonly malformed: Record<string, number> = {};
  private readonly uncovered = new Map<string, number>();
  /** The latest resolver address seen per uncovered prefix (same keys as `uncovered`). */
  private readonly addressIn = new Map<string, string>();
  /** Each address's prefix and own text, made once: the per-source decisions share their Address objects. */
  private readonly textOf = new WeakMap<Address, { prefix: string; address: string }>();

  constructor(areas: readonly AreaName[]) {
    this.byArea = Object.fromEntries(areas.map((a) => [a, zero()]));
  }

  count(s: Steering): void {
    const area = (this.byArea[s.area as string] ??= zero());
    area[s.by]++;
    if (s.uncovered) this.noteUncovered(s.uncovered);
  }

  countMalformed(reason: string): void {
    this.malformed[reason] = (this.malformed[reason] ?? 0) + 1;
  }

  snapshot(top = 20): SteeringSnapshot {
    const byArea: SteeringByArea = {};
    for (const [a, c] of Object.entries(this.byArea)) byArea[a] = { ...c };
    const uncovered = [...this.uncovered]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([prefix, queries]) => ({ prefix, queries, address: this.addressIn.get(prefix) }));
    return { byArea, uncovered, malformed: { ...this.malformed } };
  }

  /** Adds what another process (a DNS worker) counted between two of its snapshots. */
  addDelta(now: SteeringSnapshot, before: SteeringSnapshot): void {
    for (const [area, c] of Object.entries(now.byArea)) {
      const into = (this.byArea[area] ??= zero());
      for (const how of STEERED_BY) into[how] += (c[how] ?? 0) - (before.byArea[area]?.[how] ?? 0);
    }
    for (const [reason, n] of Object.entries(now.malformed)) this.malformed[reason] = (this.malformed[reason] ?? 0) + n - (before.malformed[reason] ?? 0);
    const earlier = new Map(before.uncovered.map((u) => [u.prefix, u.queries]));
    for (const u of now.uncovered) if (u.queries > (earlier.get(u.prefix) ?? 0)) this.bump(u.prefix, u.queries - (earlier.get(u.prefix) ?? 0), u.address);
  }

  private noteUncovered(a: Address): void {
    let text = this.textOf.get(a);
    if (text === undefined) {
      const length = UNCOVERED_PREFIX_LENGTH[a.family];
      text = { prefix: formatPrefix({ family: a.family, bytes: truncate(a.bytes, length), length }), address: formatAddress(a) };
      this.textOf.set(a, text);
    }
    this.bump(text.prefix, 1, text.address);
  }

  private bump(key: string, queries: number, address: string | undefined): void {
    if (address !== undefined && this.addressIn.get(key) !== address) this.addressIn.set(key, address);
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
    this.addressIn.delete(rarest);
    this.uncovered.set(key, least + queries);
  }
}

const zero = (): Record<SteeredBy, number> => ({ ecs: 0, resolver: 0, learned: 0, fallback: 0 });
