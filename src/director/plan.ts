// The minimal UPDATEs that take a backend from what it holds to what the Director wants: one
// message per zone, carrying only the records that change, each changed RRset guarded by a
// prerequisite on what it held (RFC 2136 §2.4), so an edit made meanwhile by someone else is
// refused (NXRRSET/YXRRSET) rather than overwritten blind. Pure.

import type { Change, Prerequisite, Rr } from "../dns/update-message.ts";
import { canonicalAddress } from "../dns/wire.ts";
import type { DirectedRrset } from "./records.ts";

/** What a backend holds, by rrsetKey: addresses in canonical form. */
export type Held = ReadonlyMap<string, readonly string[]>;

export interface ZoneUpdate {
  zone: string;
  prerequisites: Prerequisite[];
  changes: Change[];
  /** The RRsets as they are once the update is applied. */
  after: DirectedRrset[];
}

export const rrsetKey = (r: { name: string; type: string }) => `${r.name}|${r.type}`;

export function planUpdates(desired: readonly DirectedRrset[], held: Held): ZoneUpdate[] {
  const byZone = new Map<string, ZoneUpdate>();
  for (const want of desired) {
    const values = [...new Set(want.values.map(canonicalAddress))];
    const had = held.get(rrsetKey(want)) ?? [];
    const added = values.filter((v) => !had.includes(v));
    const removed = had.filter((v) => !values.includes(v));
    if (added.length === 0 && removed.length === 0) continue;
    const rr = (data: string): Rr => ({ name: want.name, type: want.type, ttl: want.ttl, data });
    let u = byZone.get(want.zone);
    if (!u) byZone.set(want.zone, (u = { zone: want.zone, prerequisites: [], changes: [], after: [] }));
    u.prerequisites.push(had.length ? { kind: "equals", records: had.map(rr) } : { kind: "absent", name: want.name, type: want.type });
    // Adds first: an RRset never passes through empty, so a resolver never gets NODATA mid-update
    // (within one UPDATE the server applies the changes in order, RFC 2136 §3.4.2).
    u.changes.push(...added.map((v) => ({ kind: "add" as const, rr: rr(v) })), ...removed.map((v) => ({ kind: "delete" as const, rr: rr(v) })));
    u.after.push({ ...want, values });
  }
  return [...byZone.values()];
}
