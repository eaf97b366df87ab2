// Reading a query without trusting it: the header, the one question (its bytes kept for echoing)
// and the OPT record with its options, every length checked against the message (RFC 1035 §4.1,
// RFC 6891 §6). Pure; never throws.

export interface Header {
  id: number;
  flags: number;
  opcode: number;
  qdcount: number;
}

export interface Question {
  /** The question's wire bytes, echoed as sent: resolvers check the 0x20 case pattern. */
  raw: Uint8Array;
  /** Owner name in wire form, ASCII lower-cased, read as latin1: the template key. */
  wire: string;
  type: number;
  klass: number;
}

/** One EDNS option, undecoded: its meaning is for whoever knows the code (e.g. ECS, code 8). */
export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface Opt {
  udpPayloadSize: number;
  version: number;
  /** The DO bit (RFC 3225), echoed. */
  dnssecOk: boolean;
  options: EdnsOption[];
}

export type ParsedQuery =
  | { ok: true; header: Header; question: Question; opt?: Opt }
  /** FORMERR; the OPT is kept when it was readable, so the error carries one too. */
  | { ok: false; header: Header; opt?: Opt };

const QR = 0x8000;
const HEADER_BYTES = 12;
const NAME_BYTES_MAX = 255;
const TYPE_OPT = 41;

/** The header, or null when the message is too short for one or is itself a response. */
export function readHeader(query: Uint8Array): Header | null {
  if (query.byteLength < HEADER_BYTES) return null;
  const flags = (query[2]! << 8) | query[3]!;
  if (flags & QR) return null;
  return { id: (query[0]! << 8) | query[1]!, flags, opcode: (flags >> 11) & 0xf, qdcount: (query[4]! << 8) | query[5]! };
}

export function parseQuery(query: Uint8Array, header: Header): ParsedQuery {
  const fail = (opt?: Opt): ParsedQuery => ({ ok: false, header, opt });
  const u16 = (at: number) => (query[at]! << 8) | query[at + 1]!;
  if (header.qdcount !== 1) return fail();

  // The question: plain labels only, since a pointer would have nothing before it to point at.
  let at = HEADER_BYTES;
  for (;;) {
    const length = query[at];
    if (length === undefined || length > 63 || at + 1 + length > query.byteLength) return fail();
    at += 1 + length;
    if (length === 0) break;
  }
  if (at - HEADER_BYTES > NAME_BYTES_MAX || at + 4 > query.byteLength) return fail();
  const question: Question = {
    raw: query.subarray(HEADER_BYTES, at + 4),
    wire: latin1Lower(query, HEADER_BYTES, at),
    type: u16(at),
    klass: u16(at + 2),
  };
  const opt = findOpt(query, at + 4, u16);
  return opt === "error" ? fail() : { ok: true, header, question, opt };
}

/** The dotted, lower-case form of a question's wire key; a dot inside a label is escaped so it cannot pass for a separator. */
export function nameOf(wire: string): string {
  const labels: string[] = [];
  for (let at = 0; wire.charCodeAt(at) !== 0 && at < wire.length;) {
    const length = wire.charCodeAt(at);
    labels.push(wire.slice(at + 1, at + 1 + length).replaceAll(".", "\\."));
    at += 1 + length;
  }
  return labels.join(".");
}

/**
 * Walks the answer, authority and additional sections from `at`: undefined when there is no
 * OPT, "error" for anything malformed, trailing bytes or a second OPT (RFC 6891 §6.1.1).
 */
function findOpt(query: Uint8Array, start: number, u16: (at: number) => number): Opt | undefined | "error" {
  const counts = u16(6) + u16(8) + u16(10);
  let at = start;
  let opt: Opt | undefined;
  for (let n = 0; n < counts; n++) {
    const ownerAt = at;
    at = skipName(query, at);
    if (at < 0 || at + 10 > query.byteLength) return "error";
    const type = u16(at);
    const rdlength = u16(at + 8);
    const rdata = at + 10;
    if (rdata + rdlength > query.byteLength) return "error";
    if (type === TYPE_OPT) {
      if (opt || query[ownerAt] !== 0) return "error";
      const options: EdnsOption[] = [];
      for (let o = rdata; o < rdata + rdlength;) {
        if (o + 4 > rdata + rdlength) return "error";
        const length = u16(o + 2);
        if (o + 4 + length > rdata + rdlength) return "error";
        options.push({ code: u16(o), data: query.subarray(o + 4, o + 4 + length) });
        o += 4 + length;
      }
      opt = { udpPayloadSize: u16(at + 2), version: query[at + 5]!, dnssecOk: (query[at + 6]! & 0x80) !== 0, options };
    }
    at = rdata + rdlength;
  }
  return at === query.byteLength ? opt : "error";
}

/** The end of a name in wire form (labels, or labels ending in a pointer), or -1. */
function skipName(query: Uint8Array, at: number): number {
  for (let hops = 0; hops < 128; hops++) {
    const length = query[at];
    if (length === undefined) return -1;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return at + 2 <= query.byteLength ? at + 2 : -1;
    if (length > 63) return -1;
    at += 1 + length;
  }
  return -1;
}

function latin1Lower(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
  }
  return s;
}
