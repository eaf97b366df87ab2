// When a heartbeat carries the whole drain table. Drains change rarely and each change is also
// published on its own (a "drain" command), so most heartbeats carry only the table's digest;
// the table itself goes out when a peer may lack it:
//   - a peer connected (it may have been away when a drain was issued);
//   - a heartbeat's digest differed from ours (one of us missed something: merging both
//     tables, each sent after seeing the other's digest, converges on the newest entries);
//   - our table changed (a command heard by some nodes and lost on the way to others);
//   - a slow refresh, every REFRESH_BEATS heartbeats, in case all of the above were lost.
import { createHash } from "node:crypto";
import type { DrainEntry } from "../core/types.ts";
import type { Drains } from "./drains.ts";

/** Ten seconds at the default heartbeat interval of 500 ms. */
export const REFRESH_BEATS = 20;

export function drainsDigest(drains: Drains): string {
  const entries = [...drains.values()].sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  return createHash("sha256").update(JSON.stringify(entries)).digest("base64url").slice(0, 16);
}

export class DrainGossip {
  private due = true;
  private beats = 0;
  private digested: { table: Drains; digest: string } | undefined;

  /** The digest of `table`, computed once per table (tables are replaced, never changed). */
  digest(table: Drains): string {
    if (this.digested?.table !== table) this.digested = { table, digest: drainsDigest(table) };
    return this.digested.digest;
  }

  /** A peer connected, or our table changed: the next heartbeat carries it. */
  sendNext(): void {
    this.due = true;
  }

  /** A heartbeat's digest, judged against our table after merging what it carried. */
  heard(theirs: string | undefined, ours: Drains): void {
    if (theirs !== undefined && theirs !== this.digest(ours)) this.due = true;
  }

  /** What our next heartbeat carries: the table when due, else nothing but its digest. */
  outgoing(table: Drains): { drains: DrainEntry[]; drainsDigest: string } {
    const full = this.due || ++this.beats >= REFRESH_BEATS;
    if (full) {
      this.due = false;
      this.beats = 0;
    }
    return { drains: full ? [...table.values()] : [], drainsDigest: this.digest(table) };
  }
}
