// Name compression (RFC 1035 §4.1.4): a name, or its tail, already in the message is written as a
// two-byte pointer to it. dns-packet encodes every name in full; this rewrites its encoding of
// each record. Only the owner and the names inside the RFC 1035 types' data are compressed
// (RFC 3597 §4: NS, CNAME, SOA, PTR, MX); SRV's target must not be (RFC 2782). Pure.

import { encode, type Answer } from "dns-packet";
import { RRTYPE } from "./rr.ts";

/** The names written so far, by their lower-cased wire form, and where the next byte goes. */
export interface Compression {
  readonly offsets: Map<string, number>;
  at: number;
}

const HEADER_BYTES = 12;
/** Type, class, TTL before the data length. */
const RR_FIXED_BYTES = 8;
/** Pointers hold 14 bits of offset. */
const POINTER_LIMIT = 0x4000;
const PTR = 12;

/** Compression for a message whose header and question (its name at offset 12, plain labels) come first. */
export function startCompression(questionRaw?: Uint8Array): Compression {
  const c: Compression = { offsets: new Map(), at: HEADER_BYTES + (questionRaw?.byteLength ?? 0) };
  if (questionRaw) remember(questionRaw, 0, HEADER_BYTES, c);
  return c;
}

/** One record in wire form, its names compressed against what came before; advances `c.at`. */
export function encodeRecord(rr: Answer, c: Compression): Uint8Array {
  const full = encode({ answers: [rr] }).subarray(HEADER_BYTES);
  const ownerEnd = nameEnd(full, 0);
  const out: number[] = [];
  writeName(full, 0, c, out);
  const fixedAt = out.length;
  out.push(...full.subarray(ownerEnd, ownerEnd + RR_FIXED_BYTES), 0, 0);
  const type = (full[ownerEnd]! << 8) | full[ownerEnd + 1]!;
  const data = ownerEnd + RR_FIXED_BYTES + 2;
  const dataStart = out.length;
  if (type === RRTYPE.NS || type === RRTYPE.CNAME || type === PTR) writeName(full, data, c, out);
  else if (type === RRTYPE.MX) {
    out.push(full[data]!, full[data + 1]!);
    writeName(full, data + 2, c, out);
  } else if (type === RRTYPE.SOA) {
    const rname = nameEnd(full, data);
    writeName(full, data, c, out);
    writeName(full, rname, c, out);
    out.push(...full.subarray(nameEnd(full, rname)));
  } else out.push(...full.subarray(data));
  const length = out.length - dataStart;
  out[fixedAt + RR_FIXED_BYTES] = length >> 8;
  out[fixedAt + RR_FIXED_BYTES + 1] = length & 0xff;
  c.at += out.length;
  return Uint8Array.from(out);
}

/** Writes the uncompressed name at `from` in `wire`: its labels until a known tail, then a pointer to that tail. */
function writeName(wire: Uint8Array, from: number, c: Compression, out: number[]): void {
  for (let at = from; ;) {
    const length = wire[at]!;
    if (length === 0) return void out.push(0);
    const key = keyOf(wire, at);
    const known = c.offsets.get(key);
    if (known !== undefined) return void out.push(0xc0 | (known >> 8), known & 0xff);
    const here = c.at + out.length;
    if (here < POINTER_LIMIT) c.offsets.set(key, here);
    out.push(...wire.subarray(at, at + 1 + length));
    at += 1 + length;
  }
}

/** Registers each tail of the plain name at `from` in `wire`, which sits at `offset` in the message. */
function remember(wire: Uint8Array, from: number, offset: number, c: Compression): void {
  for (let at = from; wire[at] !== 0 && at < wire.byteLength; at += 1 + wire[at]!) {
    if (offset + at - from < POINTER_LIMIT) c.offsets.set(keyOf(wire, at), offset + at - from);
  }
}

/** The lower-cased wire form of the name tail at `at`, as a latin1 string (names compare case-insensitively). */
function keyOf(wire: Uint8Array, at: number): string {
  let key = "";
  for (let i = at; i < nameEnd(wire, at); i++) {
    const b = wire[i]!;
    key += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
  }
  return key;
}

/** The offset just past the uncompressed name at `at`. */
function nameEnd(wire: Uint8Array, at: number): number {
  while (wire[at] !== 0 && at < wire.byteLength) at += 1 + wire[at]!;
  return at + 1;
}
