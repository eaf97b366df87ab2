// Reads an RFC 2136 UPDATE (its TSIG already checked and removed): the zone, the prerequisites
// and the updates, each record with its raw data. Pure; a malformed message is a FORMERR.

import { readName, readU16, readU32 } from "./wire.ts";

export interface WireRr {
  name: string;
  type: number;
  klass: number;
  ttl: number;
  data: Uint8Array;
}

export interface ParsedUpdate {
  id: number;
  zone: { name: string; type: number; klass: number };
  prerequisites: WireRr[];
  updates: WireRr[];
}

/** More records than any certificate client sends; a bound on what one message can make us do. */
export const MAX_UPDATE_RECORDS = 100;

export function parseUpdate(m: Uint8Array): { ok: true; update: ParsedUpdate } | { ok: false; error: string } {
  try {
    if (m.byteLength < 12) throw new Error("shorter than a DNS header");
    const [zocount, prcount, upcount, adcount] = [readU16(m, 4), readU16(m, 6), readU16(m, 8), readU16(m, 10)];
    if (zocount !== 1) throw new Error(`${zocount} zone records, not 1`);
    if (adcount !== 0) throw new Error("additional records other than TSIG");
    if (prcount + upcount > MAX_UPDATE_RECORDS) throw new Error(`more than ${MAX_UPDATE_RECORDS} records`);
    const zoneName = readName(m, 12);
    if (zoneName.next + 4 > m.byteLength) throw new Error("zone section cut short");
    const zone = { name: zoneName.name, type: readU16(m, zoneName.next), klass: readU16(m, zoneName.next + 2) };
    let at = zoneName.next + 4;
    const read = (): WireRr => {
      const owner = readName(m, at);
      at = owner.next;
      if (at + 10 > m.byteLength) throw new Error("record cut short");
      const rdlength = readU16(m, at + 8);
      if (at + 10 + rdlength > m.byteLength) throw new Error("record data cut short");
      const rr = { name: owner.name, type: readU16(m, at), klass: readU16(m, at + 2), ttl: readU32(m, at + 4), data: m.slice(at + 10, at + 10 + rdlength) };
      at += 10 + rdlength;
      return rr;
    };
    const prerequisites = Array.from({ length: prcount }, read);
    const updates = Array.from({ length: upcount }, read);
    if (at !== m.byteLength) throw new Error("bytes after the last record");
    return { ok: true, update: { id: readU16(m, 0), zone, prerequisites, updates } };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
