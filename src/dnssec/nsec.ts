// NSEC records for compact denial of existence (RFC 9824): the NSEC at the queried name itself,
// its next name "\000.<name>" (the immediate successor), so it proves only what it says about
// that one name and lists nothing else of the zone. Its type bitmap lists what the name holds;
// for a name that does not exist, only RRSIG, NSEC and NXNAME. Pure.

import type { Answer } from "dns-packet";
import { TYPE_RRSIG } from "./rrsig.ts";

export const TYPE_NSEC = 47;
/** RFC 9824 §3.2: marks a name that does not exist. */
export const TYPE_NXNAME = 128;

/** The NSEC record owned by `owner` (dotted, as the answer writes it) in wire form `ownerWire`, listing `types`. */
export function compactNsec(owner: string, ownerWire: Uint8Array, types: Iterable<number>, ttl: number): Answer {
  const next = new Uint8Array(2 + ownerWire.byteLength);
  next.set([1, 0]);
  next.set(ownerWire, 2);
  const all = new Set([...types, TYPE_RRSIG, TYPE_NSEC]);
  return { type: `UNKNOWN_${TYPE_NSEC}`, name: owner, ttl, data: Buffer.concat([next, typeBitmap(all)]) } as unknown as Answer;
}

/** RFC 4034 §4.1.2: windows of 256 types, each a window number, a length and the bits. */
export function typeBitmap(types: Iterable<number>): Uint8Array {
  const windows = new Map<number, number[]>();
  for (const t of types) {
    const w = t >> 8;
    const bits = windows.get(w) ?? [];
    bits.push(t & 0xff);
    windows.set(w, bits);
  }
  const out: number[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const bits = windows.get(w)!;
    const length = (Math.max(...bits) >> 3) + 1;
    const map = new Array<number>(length).fill(0);
    for (const b of bits) map[b >> 3]! |= 0x80 >> (b & 7);
    out.push(w, length, ...map);
  }
  return Uint8Array.from(out);
}
