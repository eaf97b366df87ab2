// RRSIG over one RRset (RFC 4034 §3, §6; RFC 6605 for the signature's r‖s form): the RRset in
// canonical form (owner lower case, names uncompressed, records sorted by their data, the
// original TTL), prefixed by the RRSIG's own data without the signature. Pure but for the
// signing itself, whose randomness is the crypto library's.

import { encode, type Answer } from "dns-packet";
import { sign } from "node:crypto";
import { nameToWire } from "../core/dns-name.ts";
import { ALGORITHM_ECDSAP256SHA256, type ZoneKey } from "./key.ts";

const HEADER_BYTES = 12;
/** Type, class, TTL, RDLENGTH after the owner. */
const RR_FIXED_BYTES = 10;
export const TYPE_RRSIG = 46;

/** When a signature holds, in Unix seconds (RFC 4034 §3.1.5: serial-number arithmetic, mod 2^32). */
export interface Validity {
  inception: number;
  expiration: number;
}

/** One record's owner, type and data in canonical wire form (RFC 4034 §6.2). */
export function canonicalRecord(rr: Answer): { owner: Uint8Array; type: number; klass: number; rdata: Uint8Array } {
  const full = encode({ answers: [lowerNames(rr)] }).subarray(HEADER_BYTES);
  let end = 0;
  while (full[end] !== 0) end += 1 + full[end]!;
  end += 1;
  const owner = Uint8Array.from(full.subarray(0, end), (b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
  const type = (full[end]! << 8) | full[end + 1]!;
  const klass = (full[end + 2]! << 8) | full[end + 3]!;
  return { owner, type, klass, rdata: full.subarray(end + RR_FIXED_BYTES) };
}

/** RFC 4034 §6.2 item 3: the names inside NS, CNAME, PTR, SOA, MX and SRV data in lower case. */
function lowerNames(rr: Answer): Answer {
  const d = (rr as { data: unknown }).data;
  const lower = (s: unknown) => String(s).toLowerCase();
  switch (rr.type) {
    case "NS":
    case "CNAME":
    case "PTR":
      return { ...rr, data: lower(d) } as Answer;
    case "SOA": {
      const soa = d as { mname: string; rname: string };
      return { ...rr, data: { ...soa, mname: lower(soa.mname), rname: lower(soa.rname) } } as Answer;
    }
    case "MX": {
      const mx = d as { exchange: string };
      return { ...rr, data: { ...mx, exchange: lower(mx.exchange) } } as Answer;
    }
    case "SRV": {
      const srv = d as { target: string };
      return { ...rr, data: { ...srv, target: lower(srv.target) } } as Answer;
    }
    default:
      return rr;
  }
}

/** Labels of the owner, the root and a leading "*" not counted (RFC 4034 §3.1.3). */
export function labelCount(owner: Uint8Array): number {
  let n = 0;
  for (let at = 0; owner[at] !== 0; at += 1 + owner[at]!) if (!(at === 0 && owner[0] === 1 && owner[1] === 0x2a)) n++;
  return n;
}

/** The RRSIG record covering `rrset` (one owner, one type), made with `key`. */
export function signRRset(rrset: readonly Answer[], key: ZoneKey, validity: Validity): Answer {
  const first = rrset[0];
  if (!first) throw new Error("an empty RRset cannot be signed");
  const ttl = (first as { ttl?: number }).ttl ?? 0;
  const records = rrset.map(canonicalRecord);
  const { owner, type, klass } = records[0]!;
  // RFC 4034 §6.3: sorted by RDATA as unsigned octet strings, duplicates dropped.
  const datas = records.map((r) => r.rdata).sort(compareBytes);
  const unique = datas.filter((d, i) => i === 0 || compareBytes(d, datas[i - 1]!) !== 0);
  const signer = nameToWire(key.zone);
  const head = new Uint8Array(18);
  const view = new DataView(head.buffer);
  view.setUint16(0, type);
  head[2] = ALGORITHM_ECDSAP256SHA256;
  head[3] = labelCount(owner);
  view.setUint32(4, ttl >>> 0);
  view.setUint32(8, validity.expiration >>> 0);
  view.setUint32(12, validity.inception >>> 0);
  view.setUint16(16, key.tag);
  const fixed = new Uint8Array(RR_FIXED_BYTES);
  const fv = new DataView(fixed.buffer);
  fv.setUint16(0, type);
  fv.setUint16(2, klass);
  fv.setUint32(4, ttl >>> 0);
  const parts: Uint8Array[] = [head, signer];
  for (const rdata of unique) {
    fv.setUint16(8, rdata.byteLength);
    parts.push(owner, Uint8Array.from(fixed), rdata);
  }
  const signature = sign("sha256", Buffer.concat(parts), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  const data = Buffer.concat([head, signer, signature]);
  return { type: `UNKNOWN_${TYPE_RRSIG}`, name: first.name, ttl, data } as unknown as Answer;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.byteLength - b.byteLength;
}
