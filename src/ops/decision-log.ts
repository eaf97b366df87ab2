// The decision log: what changed between consecutive assignments, kept on every node in a
// bounded ring so `walrus status` and the status page can say why each area points where it does.
import { spillChanges } from "../assign/spill-text.ts";
import type { Assignment } from "../core/types.ts";

export interface DecisionEntry {
  atMs: number;
  area: string;
  /** The cluster before, or null for the first assignment this node saw. */
  from: string | null;
  to: string;
  reason: string;
  detail: string;
  epoch: number;
  seq: number;
}

/** Areas whose cluster or reason differ from the previous assignment, and each spill step (reason "spill", cluster unchanged). */
export function diffAssignments(prev: Assignment | undefined, next: Assignment): DecisionEntry[] {
  const before = new Map((prev?.areas ?? []).map((a) => [a.area as string, a]));
  const out: DecisionEntry[] = [];
  for (const a of next.areas) {
    const b = before.get(a.area);
    for (const detail of spillChanges(b, a))
      out.push({ atMs: next.atMs, area: a.area, from: a.cluster, to: a.cluster, reason: "spill", detail, epoch: next.epoch, seq: next.seq });
    if (b && b.cluster === a.cluster && b.reason === a.reason) continue;
    out.push({ atMs: next.atMs, area: a.area, from: b?.cluster ?? null, to: a.cluster, reason: a.reason, detail: a.detail, epoch: next.epoch, seq: next.seq });
  }
  return out;
}

/** Keeps the newest `capacity` items. */
export class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}

  push(...xs: T[]): void {
    this.items.push(...xs);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Newest first. */
  newest(): T[] {
    return [...this.items].reverse();
  }
}
