// Pre-encoded positive answers for the balanced names, rebuilt with the zone whenever the
// assignment changes: the hot path copies the query's header and question, then these bytes,
// rotating the last RRset's records. Owner names are compression pointers into the question
// (or into a CNAME's target), whose length is fixed for a matching name. Pure.

import { encode, type Answer } from "dns-packet";
import type { AreaName } from "../core/types.ts";
import { resolve } from "./resolve.ts";
import { RRTYPE } from "./rr.ts";
import { concat } from "./wire.ts";
import type { ZoneCore } from "./zone-core.ts";

export interface Template {
  /** The records before the rotated ones (a CNAME chain), encoded. */
  head: Uint8Array;
  /** The final RRset's records, each encoded, rotated per reply. */
  records: readonly Uint8Array[];
  /** Bytes of head and records together. */
  bytes: number;
  /** ANCOUNT. */
  count: number;
}

/** By the owner name in wire form, lower-cased and read as latin1 (see wireKey), then by type. */
export type Templates = ReadonlyMap<string, ReadonlyMap<number, Template>>;

const HEADER_BYTES = 12;
const QUESTION_TAIL_BYTES = 4;
const CLASS_IN = 1;

export function buildTemplates(zone: ZoneCore, area: AreaName): Templates {
  const result = new Map<string, Map<number, Template>>();
  for (const name of zone.balanced.get(area)?.keys() ?? []) {
    const byType = new Map<number, Template>();
    for (const type of [RRTYPE.A, RRTYPE.AAAA]) {
      const o = resolve(zone, name, type, CLASS_IN, area);
      const last = o.answer?.at(-1);
      if (o.rcode !== "NOERROR" || !o.answer || !last || o.authority?.length || o.additional?.length) continue;
      const offsets = new Map([[name, HEADER_BYTES]]);
      let at = HEADER_BYTES + wireLength(name) + QUESTION_TAIL_BYTES;
      const encodeAt = (rr: Answer) => {
        const bytes = encodeCompressed(rr, offsets);
        if (rr.type === "CNAME") offsets.set(rr.data, at + bytes.byteLength - wireLength(rr.data));
        at += bytes.byteLength;
        return bytes;
      };
      const head = concat(o.answer.slice(0, -1).flat().map(encodeAt));
      const records = last.map(encodeAt);
      const bytes = records.reduce((n, r) => n + r.byteLength, head.byteLength);
      byType.set(type, { head, records, bytes, count: o.answer.slice(0, -1).flat().length + records.length });
    }
    if (byType.size > 0) result.set(wireKey(name), byType);
  }
  return result;
}

/** A name's wire form as a latin1 string, ASCII lower case: the key a query's raw name bytes are looked up by. */
function wireKey(name: string): string {
  return name === "" ? "\0" : `${name.split(".").map((l) => String.fromCharCode(l.length) + l).join("")}\0`;
}

function wireLength(name: string): number {
  return name === "" ? 1 : name.length + 2;
}

/** One RR with its owner replaced by a pointer when the name is already in the message. */
function encodeCompressed(rr: Answer, offsets: ReadonlyMap<string, number>): Uint8Array {
  const full = encode({ answers: [rr] }).subarray(HEADER_BYTES);
  const at = offsets.get(rr.name);
  if (at === undefined) return full;
  const out = new Uint8Array(2 + full.byteLength - wireLength(rr.name));
  out[0] = 0xc0 | (at >> 8);
  out[1] = at & 0xff;
  out.set(full.subarray(wireLength(rr.name)), 2);
  return out;
}
