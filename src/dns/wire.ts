// Small wire-format pieces (RFC 1035 §3, §4.1) for messages dns-packet cannot express: UPDATE's
// classes NONE and ANY with empty data, and the TSIG record. Pure; readers throw on bad input
// and their callers turn that into a result.

export { nameToWire } from "../core/dns-name.ts";

/** Reads a possibly compressed name; `next` is the offset after it where it starts. */
export function readName(m: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = start;
  let next: number | undefined;
  for (let hops = 0; ; hops++) {
    if (hops > 127) throw new Error("name with too many labels or a pointer loop");
    const len = m[at];
    if (len === undefined) throw new Error("name runs past the end of the message");
    if (len === 0) {
      next ??= at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      const target = ((len & 0x3f) << 8) | (m[at + 1] ?? 0);
      if (at + 1 >= m.byteLength || target >= at) throw new Error("bad compression pointer");
      next ??= at + 2;
      at = target;
      continue;
    }
    if (len > 63 || at + 1 + len > m.byteLength) throw new Error("bad label length");
    labels.push(new TextDecoder().decode(m.subarray(at + 1, at + 1 + len)).toLowerCase());
    at += 1 + len;
  }
  return { name: labels.join("."), next };
}

export function skipQuestion(m: Uint8Array, at: number): number {
  const next = readName(m, at).next + 4;
  if (next > m.byteLength) throw new Error("question cut short");
  return next;
}

export function skipRecord(m: Uint8Array, at: number): number {
  const after = readName(m, at).next;
  if (after + 10 > m.byteLength) throw new Error("record cut short");
  const next = after + 10 + readU16(m, after + 8);
  if (next > m.byteLength) throw new Error("record data cut short");
  return next;
}

export const u16 = (n: number) => new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
export const u32 = (n: number) => new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
export const readU16 = (m: Uint8Array, at: number) => ((m[at] ?? 0) << 8) | (m[at + 1] ?? 0);
export const readU32 = (m: Uint8Array, at: number) => readU16(m, at) * 65536 + readU16(m, at + 2);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** RFC 5952 text for IPv6 (what a decoded answer gives), so equal addresses compare equal. */
export function canonicalAddress(a: string): string {
  return a.includes(":") ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a;
}
