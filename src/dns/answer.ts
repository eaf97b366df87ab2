// Authoritative answers from a prebuilt Zone (RFC 1034 §4.3.2, RFC 1035, RFC 2308, RFC 6891,
// RFC 8482). Pure: query bytes in, reply bytes out.

import { decode, encode, encodingLength, type DecodedPacket, type OptAnswer, type Packet } from "dns-packet";
import { isInZone, RRTYPE, type RRset, type Zone } from "./zone.ts";

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export type RcodeName = keyof typeof RCODE;

export interface AnswerContext {
  transport: "udp" | "tcp";
  /** Start index into every answer RRset, so successive replies lead with different addresses. */
  rotation: number;
}

export interface Reply {
  bytes: Uint8Array;
  rcode: RcodeName;
}

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const CD = 0x0010;
const OPT_DO = 0x8000;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const HEADER_BYTES = 12;
/** Plain DNS over UDP (RFC 1035 §4.2.1). */
const UDP_PLAIN_LIMIT = 512;
/** What we advertise and accept over UDP: the DNS flag day 2020 size, clear of IP fragmentation. */
const UDP_EDNS_LIMIT = 1232;
const TCP_LIMIT = 65535;

/** The reply to one query, or null to drop it (too short for a header, or itself a response). */
export function answerQuery(query: Uint8Array, zone: Zone, ctx: AnswerContext): Uint8Array | null {
  return reply(query, zone, ctx)?.bytes ?? null;
}

/** answerQuery, also telling the rcode (for statistics). */
export function reply(query: Uint8Array, zone: Zone, ctx: AnswerContext): Reply | null {
  const header = readHeader(query);
  if (!header) return null;
  // Other opcodes may lay out the body differently, so nothing of it is echoed.
  if (header.opcode !== 0) return finish(header, { rcode: "NOTIMP" });

  let message: DecodedPacket;
  try {
    message = decode(Buffer.from(query.buffer, query.byteOffset, query.byteLength));
  } catch {
    return finish(header, { rcode: "FORMERR" });
  }
  if (decode.bytes !== query.byteLength) return finish(header, { rcode: "FORMERR" });
  const opts = (message.additionals ?? []).filter((a): a is OptAnswer => a.type === "OPT");
  if (opts.length > 1) return finish(header, { rcode: "FORMERR" }); // RFC 6891 §6.1.1
  const opt = opts[0];
  const question = header.qdcount === 1 ? readQuestion(query) : null;
  if (!question) return finish(header, { rcode: "FORMERR" }, { opt });
  if (opt && opt.ednsVersion > 0) return finish(header, { rcode: "BADVERS" }, { opt, question: question.raw });

  const limit =
    ctx.transport === "tcp"
      ? TCP_LIMIT
      : opt
        ? Math.min(Math.max(opt.udpPayloadSize, UDP_PLAIN_LIMIT), UDP_EDNS_LIMIT)
        : UDP_PLAIN_LIMIT;
  return finish(header, resolve(zone, question, ctx.rotation), { opt, question: question.raw, limit });
}

/** A SERVFAIL for a query we failed to answer, or null if even its header is unreadable. */
export function servfail(query: Uint8Array): Reply | null {
  const header = readHeader(query);
  return header && finish(header, { rcode: "SERVFAIL" });
}

interface Header {
  id: number;
  flags: number;
  opcode: number;
  qdcount: number;
}

function readHeader(query: Uint8Array): Header | null {
  if (query.byteLength < HEADER_BYTES) return null;
  const view = new DataView(query.buffer, query.byteOffset, HEADER_BYTES);
  const flags = view.getUint16(2);
  if (flags & QR) return null;
  return { id: view.getUint16(0), flags, opcode: (flags >> 11) & 0xf, qdcount: view.getUint16(4) };
}

interface Question {
  /** The question's wire bytes, echoed as sent: resolvers check the 0x20 case pattern. */
  raw: Uint8Array;
  /** Owner name lower-cased, labels joined by dots, no trailing dot. */
  name: string;
  type: number;
  klass: number;
}

function readQuestion(query: Uint8Array): Question | null {
  const labels: string[] = [];
  let at = HEADER_BYTES;
  for (;;) {
    const length = query[at++];
    // Over 63 means a compression pointer, which has nothing before it to point at in a question.
    if (length === undefined || length > 63 || at + length > query.byteLength) return null;
    if (length === 0) break;
    labels.push(labelKey(query.subarray(at, at + length)));
    at += length;
  }
  if (at + 4 > query.byteLength) return null;
  const view = new DataView(query.buffer, query.byteOffset + at, 4);
  return {
    raw: query.subarray(HEADER_BYTES, at + 4),
    name: labels.join("."),
    type: view.getUint16(0),
    klass: view.getUint16(2),
  };
}

/** ASCII case folded (RFC 4343); a dot inside a label is escaped so it cannot pass for a separator. */
function labelKey(label: Uint8Array): string {
  let key = "";
  for (const b of label) {
    if (b === 0x2e) key += "\\.";
    else key += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
  }
  return key;
}

interface Outcome {
  rcode: RcodeName;
  aa?: boolean;
  answer?: RRset[];
  authority?: RRset[];
  additional?: RRset[];
}

function resolve(zone: Zone, q: Question, rotation: number): Outcome {
  if ((q.klass !== CLASS_IN && q.klass !== CLASS_ANY) || !isInZone(q.name, zone.apex)) return { rcode: "REFUSED" };
  // No zone transfers: every nameserver builds its own zone from the assignment.
  if (q.type === RRTYPE.AXFR || q.type === RRTYPE.IXFR) return { rcode: "REFUSED" };
  const node = zone.nodes.get(q.name);
  if (!node) {
    return zone.emptyNonTerminals.has(q.name) ? nodata(zone) : { rcode: "NXDOMAIN", aa: true, authority: [zone.soa] };
  }
  // RFC 8482: ANY gets one RRset, not everything.
  const rrset = q.type === RRTYPE.ANY ? node.values().next().value : node.get(q.type);
  if (!rrset) return nodata(zone);
  return {
    rcode: "NOERROR",
    aa: true,
    answer: [rotate(rrset, rotation)],
    additional: q.type === RRTYPE.NS ? [...zone.glue] : [],
  };
}

/** RFC 2308 §2.2: the name exists but not with this type; the SOA tells how long to cache that. */
function nodata(zone: Zone): Outcome {
  return { rcode: "NOERROR", aa: true, authority: [zone.soa] };
}

function rotate(rrset: RRset, rotation: number): RRset {
  const start = rotation % rrset.length;
  return start === 0 ? rrset : [...rrset.slice(start), ...rrset.slice(0, start)];
}

function finish(
  header: Header,
  outcome: Outcome,
  { opt, question, limit = UDP_PLAIN_LIMIT }: { opt?: OptAnswer; question?: Uint8Array; limit?: number } = {},
): Reply {
  const code = RCODE[outcome.rcode];
  const answer = [...(outcome.answer ?? [])];
  const additional = [...(outcome.additional ?? [])];
  // RFC 6891 §7: a query with OPT gets an OPT back; the rcode's upper 8 bits live in it.
  const replyOpt: OptAnswer | undefined = opt && {
    type: "OPT",
    name: ".",
    udpPayloadSize: UDP_EDNS_LIMIT,
    extendedRcode: code >> 4,
    ednsVersion: 0,
    flags: opt.flags & OPT_DO,
    flag_do: opt.flag_do,
    options: [],
  };
  const packet = (): Packet => ({
    type: "response",
    id: header.id,
    answers: answer.flat(),
    authorities: (outcome.authority ?? []).flat(),
    additionals: replyOpt ? [...additional.flat(), replyOpt] : additional.flat(),
  });

  const questionBytes = question?.byteLength ?? 0;
  let size = encodingLength(packet()) + questionBytes;
  let truncated = false;
  // RFC 2181 §9: additional data is left out silently; TC is for a missing answer RRset.
  while (size > limit) {
    let dropped = additional.pop();
    if (!dropped) {
      truncated = true;
      dropped = answer.pop();
    }
    if (!dropped) break;
    size -= encodingLength({ answers: [...dropped] }) - HEADER_BYTES;
  }

  const flags =
    (header.opcode << 11) | (outcome.aa ? AA : 0) | (truncated ? TC : 0) | (header.flags & (RD | CD)) | (code & 0xf);
  const body = encode({ ...packet(), flags });
  if (!question) return { bytes: body, rcode: outcome.rcode };
  // dns-packet would re-encode the name from text; splicing the original bytes keeps them exact.
  const bytes = new Uint8Array(body.byteLength + questionBytes);
  bytes.set(body.subarray(0, HEADER_BYTES));
  bytes.set(question, HEADER_BYTES);
  bytes.set(body.subarray(HEADER_BYTES), HEADER_BYTES + questionBytes);
  bytes[5] = 1; // QDCOUNT
  return { bytes, rcode: outcome.rcode };
}
