// Pre-encoded positive answers for the balanced names, rebuilt with the zone whenever the
// assignment changes: the hot path copies the query's header and question, then these bytes,
// rotating the last RRset's records, compressed exactly as the general path compresses them; for a
// signed zone a second set, each RRset followed by its RRSIGs, answers queries with DO. Pure.

import type { Answer } from "dns-packet";
import { encodeRecord, startCompression } from "./compress.ts";
import type { AreaName } from "../core/types.ts";
import { resolve } from "./resolve.ts";
import { RRTYPE, type RRset } from "./rr.ts";
import { concat } from "./wire.ts";
import type { ZoneCore } from "./zone-core.ts";

export interface Template {
  /** The records before the rotated ones (a CNAME chain), encoded. */
  head: Uint8Array;
  /** The final RRset's records, each encoded, rotated per reply. */
  records: readonly Uint8Array[];
  /** After the records: the final RRset's RRSIGs, encoded (empty when unsigned). */
  tail: Uint8Array;
  /** Bytes of head, records and tail together. */
  bytes: number;
  /** ANCOUNT. */
  count: number;
}

/** Writes a template's answer section at `at`, its records rotated by `rotation`; returns the end. Allocates nothing. */
export function writeTemplate(t: Template, out: Uint8Array, at: number, rotation: number): number {
  at = copyBytes(t.head, out, at);
  const n = t.records.length;
  for (let i = 0; i < n; i++) at = copyBytes(t.records[(rotation + i) % n]!, out, at);
  return copyBytes(t.tail, out, at);
}

/** Copies `from` into `out` at `at`; returns the end. For the few bytes of a record a loop costs a third of TypedArray.set's call. */
export function copyBytes(from: Uint8Array, out: Uint8Array, at: number): number {
  const n = from.byteLength;
  for (let i = 0; i < n; i++) out[at + i] = from[i]!;
  return at + n;
}

/** By the owner name in wire form, lower-cased and read as latin1 (see wireKey), then by type. */
export type Templates = ReadonlyMap<string, ReadonlyMap<number, Template>>;

const QUESTION_TAIL_BYTES = 4;
const CLASS_IN = 1;

/** `signed`: with each RRset's RRSIGs (zone.dnssec must be set). */
export function buildTemplates(zone: ZoneCore, area: AreaName, signed = false): Templates {
  const sigs = (rrset: RRset): RRset => (signed ? (zone.dnssec?.rrsigs.get(rrset) ?? []) : []);
  const result = new Map<string, Map<number, Template>>();
  for (const name of zone.balanced.get(area)?.keys() ?? []) {
    const byType = new Map<number, Template>();
    for (const type of [RRTYPE.A, RRTYPE.AAAA]) {
      const o = resolve(zone, name, type, CLASS_IN, area);
      const last = o.answer?.at(-1);
      if (o.rcode !== "NOERROR" || !o.answer || !last || o.authority?.length || o.additional?.length) continue;
      // Compressed as the general path would: against the question, which a matching query's
      // name fills with the same length, so the pointers hold for every such query.
      const c = startCompression(questionOf(name));
      const encodeAt = (rr: Answer) => encodeRecord(rr, c);
      const before = o.answer.slice(0, -1).flatMap((rrset) => [...rrset, ...sigs(rrset)]);
      const head = concat(before.map(encodeAt));
      const records = last.map(encodeAt);
      const lastSigs = sigs(last);
      const tail = concat(lastSigs.map(encodeAt));
      const bytes = records.reduce((n, r) => n + r.byteLength, head.byteLength + tail.byteLength);
      byType.set(type, { head, records, tail, bytes, count: before.length + records.length + lastSigs.length });
    }
    if (byType.size > 0) result.set(wireKey(name), byType);
  }
  return result;
}

/** A name's wire form as a latin1 string, ASCII lower case: the key a query's raw name bytes are looked up by. */
function wireKey(name: string): string {
  return name === ""
    ? "\0"
    : `${name
        .split(".")
        .map((l) => String.fromCharCode(l.length) + l)
        .join("")}\0`;
}

/** The question section for `name`, for laying out the compression offsets. */
function questionOf(name: string): Uint8Array {
  const key = wireKey(name);
  return Uint8Array.from({ length: key.length + QUESTION_TAIL_BYTES }, (_, i) => (i < key.length ? key.charCodeAt(i) : 0));
}
