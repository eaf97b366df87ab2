// RFC 2136 UPDATE messages: building one from prerequisites and changes, and reading the reply's
// outcome. Pure. Records are plain data; their data is encoded by dns-packet.

import { encode, type Answer } from "dns-packet";
import { concat, nameToWire, readU16, u16, u32 } from "./wire.ts";
import { tsigErrorOf, TSIG_ERRORS } from "./tsig.ts";

export const OPCODE_UPDATE = 5;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const TYPE = { A: 1, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28 } as const;
export type UpdateType = Exclude<keyof typeof TYPE, "SOA">;

/** One record: its data in dns-packet's form (an address, a target name, text chunks). */
export interface Rr {
  name: string;
  type: UpdateType;
  ttl: number;
  data: unknown;
}

export type Prerequisite =
  /** RFC 2136 §2.4.2: the RRset exists with exactly these records. */
  | { kind: "equals"; records: readonly Rr[] }
  /** §2.4.3: no RRset of this name and type. */
  | { kind: "absent"; name: string; type: UpdateType };

export type Change =
  | { kind: "add"; rr: Rr }
  /** §2.5.4: one record goes, matched by its data. */
  | { kind: "delete"; rr: Rr }
  /** §2.5.2: the whole RRset goes. */
  | { kind: "delete-rrset"; name: string; type: UpdateType };

export function buildUpdate(id: number, zone: string, prerequisites: readonly Prerequisite[], changes: readonly Change[]): Uint8Array {
  const pre = prerequisites.flatMap((p) =>
    p.kind === "equals"
      ? p.records.map((r) => encodeRr(r.name, TYPE[r.type], CLASS_IN, 0, rdata(r)))
      : [encodeRr(p.name, TYPE[p.type], CLASS_NONE, 0, new Uint8Array(0))],
  );
  const upd = changes.map((c) =>
    c.kind === "add"
      ? encodeRr(c.rr.name, TYPE[c.rr.type], CLASS_IN, c.rr.ttl, rdata(c.rr))
      : c.kind === "delete"
        ? encodeRr(c.rr.name, TYPE[c.rr.type], CLASS_NONE, 0, rdata(c.rr))
        : encodeRr(c.name, TYPE[c.type], CLASS_ANY, 0, new Uint8Array(0)),
  );
  const header = concat([u16(id), u16(OPCODE_UPDATE << 11), u16(1), u16(pre.length), u16(upd.length), u16(0)]);
  return concat([header, nameToWire(zone), u16(TYPE.SOA), u16(CLASS_IN), ...pre, ...upd]);
}

function encodeRr(name: string, type: number, klass: number, ttl: number, data: Uint8Array): Uint8Array {
  return concat([nameToWire(name), u16(type), u16(klass), u32(ttl), u16(data.byteLength), data]);
}

/** dns-packet never compresses, so the data starts after the header, the owner and 10 bytes. */
function rdata(r: Rr): Uint8Array {
  const whole = encode({ answers: [{ name: r.name, type: r.type, ttl: 0, data: r.data } as Answer] });
  return new Uint8Array(whole.subarray(12 + nameToWire(r.name).byteLength + 10));
}

/** RFC 1035 §4.1.1 and RFC 2136 §2.2 rcodes; a TSIG error (RFC 8945) replaces NOTAUTH's name. */
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"] as const;

/** The outcome of a reply, by name: NOERROR, REFUSED, NXRRSET (a prerequisite failed), BADSIG… */
export function updateOutcome(reply: Uint8Array, id: number, sent: "query" | "update"): string {
  if (reply.byteLength < 12) return "FORMERR";
  if (readU16(reply, 0) !== id) return "WRONG-ID";
  const flags = readU16(reply, 2);
  if (!(flags & 0x8000) || ((flags >> 11) & 0xf) !== (sent === "update" ? OPCODE_UPDATE : 0)) return `NOT-A-REPLY-TO-THE-${sent.toUpperCase()}`;
  const rcode = flags & 0xf;
  const tsigError = tsigErrorOf(reply);
  const tsigName = Object.entries(TSIG_ERRORS).find(([, v]) => v === tsigError)?.[0];
  if (tsigError && tsigName) return tsigName;
  return RCODES[rcode] ?? `RCODE${rcode}`;
}
