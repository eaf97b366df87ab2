// Authoritative answers from a prebuilt Zone (RFC 1034 §4.3.2, RFC 1035, RFC 2308, RFC 5936,
// RFC 6891, RFC 8482). Pure: query bytes in, reply bytes out. The balanced names' positive
// answers come from pre-encoded templates; everything else is encoded here.

import { encodingLength, type Answer } from "dns-packet";
import { encodeRecord, startCompression } from "./compress.ts";
import type { AreaName } from "../core/types.ts";
import { nameOf, parseQuery, readHeader, type EdnsOption, type Header, type Opt, type Question } from "./query.ts";
import { resolve, type Outcome, type RcodeName } from "./resolve.ts";
import { RRTYPE, type RRset } from "./rr.ts";
import { answerKey } from "./spill-answer.ts";
import { writeTemplate, type Template } from "./templates.ts";
import type { Zone } from "./zone.ts";
import type { ZoneDnssec } from "./zone-core.ts";
import { TYPE_NXNAME } from "../dnssec/nsec.ts";
import { UDP_EDNS_LIMIT } from "./limits.ts";

export type { RcodeName } from "./resolve.ts";
export type { EdnsOption } from "./query.ts";

const RCODE: Record<RcodeName, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 };

/** The area a query is answered for, chosen per query (issue 7: EDNS Client Subnet, resolver address). */
export interface AreaChoice {
  area: AreaName;
  /** Options for the reply's OPT when the answer depends on the area, such as ECS with its scope (RFC 7871 §7.2). */
  options?: readonly EdnsOption[];
  /** Options for answers the area does not change (SOA, NS, errors): ECS with scope 0. */
  unsteeredOptions?: readonly EdnsOption[];
  /** A malformed option is answered with FORMERR (RFC 7871 §7.2.1). */
  formerr?: boolean;
  /** Hash of the client's prefix: picks among an area's spill shares (issue 19). */
  clientHash?: number;
  /** `options` with an ECS scope covering the hashed prefix, for an area with spill shares. */
  spilledOptions?: readonly EdnsOption[];
}
export type ChooseArea = (query: { options: readonly EdnsOption[]; source?: string }) => AreaChoice;

export interface AnswerContext {
  transport: "udp" | "tcp";
  /** Start index into every answer RRset, so successive replies lead with different addresses. */
  rotation: number;
  /** The sender's address, for choosing the area and for the transfer allow list. */
  source?: string;
  /** Whether this sender may transfer the zone (AXFR/IXFR, TCP only). */
  transferAllowed?: boolean;
  /** Largest UDP reply, advertised in our OPT (default 1232). */
  udpSize?: number;
  /** Default: the zone's served area. */
  chooseArea?: ChooseArea;
}

export interface Reply {
  bytes: Uint8Array;
  rcode: RcodeName;
  /** The question's type, when the question was readable. */
  qtype?: number;
  truncated: boolean;
  /** Further messages of a zone transfer (TCP). */
  more?: Uint8Array[];
}

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const CD = 0x0010;
const HEADER_BYTES = 12;
const OPT_FIXED_BYTES = 11;
const CLASS_IN = 1;
/** Plain DNS over UDP (RFC 1035 §4.2.1). */
const UDP_PLAIN_LIMIT = 512;
const TCP_LIMIT = 65535;
/** Bytes of records per zone-transfer message: each stays under 64 KiB with the header and question. */
const AXFR_MESSAGE_BYTES = 60_000;

/** The reply to one query, or null to drop it (too short for a header, or itself a response). */
export function answerQuery(query: Uint8Array, zone: Zone, ctx: AnswerContext): Uint8Array | null {
  return reply(query, zone, ctx)?.bytes ?? null;
}

/** answerQuery, also telling the rcode, type and truncation (for statistics). */
export function reply(query: Uint8Array, zone: Zone, ctx: AnswerContext): Reply | null {
  const header = readHeader(query);
  if (!header) return null;
  // Other opcodes (NOTIFY, UPDATE, …) may lay out the body differently, so nothing of it is echoed.
  if (header.opcode !== 0) return finish(header, { rcode: "NOTIMP" });
  const parsed = parseQuery(query, header);
  if (!parsed.ok) return finish(header, { rcode: "FORMERR" });
  const { question, opt } = parsed;
  const echo = { question, opt, udpSize: ctx.udpSize ?? UDP_EDNS_LIMIT };
  if (opt && opt.version > 0) return finish(header, { rcode: "BADVERS" }, echo);

  const choice = ctx.chooseArea?.({ options: opt?.options ?? [], source: ctx.source }) ?? { area: zone.servedArea };
  if (choice.formerr) return finish(header, { rcode: "FORMERR" }, echo);
  const spill = zone.spills.get(choice.area);
  const area = answerKey(choice.area, spill, choice.clientHash);
  const steeredOptions = opt ? (spill && choice.spilledOptions) || choice.options || [] : [];
  const unsteeredOptions = opt ? (choice.unsteeredOptions ?? choice.options ?? []) : [];
  const limit = ctx.transport === "tcp" ? TCP_LIMIT : opt ? Math.min(Math.max(opt.udpPayloadSize, UDP_PLAIN_LIMIT), echo.udpSize) : UDP_PLAIN_LIMIT;

  // RFC 3225 §3: signatures only to a query with DO.
  const dnssec = opt?.dnssecOk ? zone.dnssec : undefined;
  const templates = dnssec && zone.signedTemplates ? zone.signedTemplates : zone.templates;
  const template = question.klass === CLASS_IN ? templates.get(area)?.get(question.wire)?.get(question.type) : undefined;
  if (template) {
    const fast = fromTemplate(query, header, question, opt, template, ctx.rotation, steeredOptions, echo.udpSize, limit);
    if (fast) return fast;
  }
  if (question.type === RRTYPE.AXFR || question.type === RRTYPE.IXFR) return transfer(zone, header, ctx, echo, unsteeredOptions);
  const outcome = resolve(zone, nameOf(question.wire), question.type, question.klass, area);
  return finish(header, outcome, { ...echo, options: outcome.steered ? steeredOptions : unsteeredOptions, limit, rotation: ctx.rotation, dnssec });
}

/** A SERVFAIL for a query we failed to answer, or null if even its header is unreadable. */
export function servfail(query: Uint8Array): Reply | null {
  const header = readHeader(query);
  return header && finish(header, { rcode: "SERVFAIL" });
}

/** The hot path: header, the question's own bytes, the template rotated, OPT. Null when it would not fit. */
function fromTemplate(
  query: Uint8Array,
  header: Header,
  question: Question,
  opt: Opt | undefined,
  t: Template,
  rotation: number,
  options: readonly EdnsOption[],
  udpSize: number,
  limit: number,
): Reply | null {
  const optBytes = opt ? optLength(options) : 0;
  const size = HEADER_BYTES + question.raw.byteLength + t.bytes + optBytes;
  if (size > limit) return null;
  const out = new Uint8Array(size);
  out[0] = query[0]!;
  out[1] = query[1]!;
  const flags = QR | AA | (header.flags & (RD | CD));
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[5] = 1;
  out[6] = t.count >> 8;
  out[7] = t.count & 0xff;
  out[11] = opt ? 1 : 0;
  out.set(question.raw, HEADER_BYTES);
  const at = writeTemplate(t, out, HEADER_BYTES + question.raw.byteLength, rotation);
  if (opt) writeOpt(out, at, udpSize, 0, opt.dnssecOk, options);
  return { bytes: out, rcode: "NOERROR", qtype: question.type, truncated: false };
}

/** RFC 5936: the whole zone as the served area sees it, between two copies of the SOA, over TCP to allowed senders. */
function transfer(zone: Zone, header: Header, ctx: AnswerContext, echo: Echo, options: readonly EdnsOption[]): Reply {
  if (ctx.transport !== "tcp" || !ctx.transferAllowed) return finish(header, { rcode: "REFUSED", aa: false }, echo);
  const owners = new Map(zone.nodes);
  for (const [name, node] of zone.balanced.get(zone.servedArea) ?? []) owners.set(name, node);
  const records: Answer[] = [...zone.soa];
  for (const node of owners.values()) for (const [type, rrset] of node) if (type !== RRTYPE.SOA) records.push(...rrset);
  records.push(...zone.soa);
  const chunks: Answer[][] = [[]];
  let bytes = 0;
  for (const r of records) {
    const size = encodingLength({ answers: [r] }) - HEADER_BYTES;
    if (bytes + size > AXFR_MESSAGE_BYTES) {
      chunks.push([]);
      bytes = 0;
    }
    chunks.at(-1)?.push(r);
    bytes += size;
  }
  const messages = chunks.map((chunk) => finish(header, { rcode: "NOERROR", aa: true, answer: [chunk] }, { ...echo, options, limit: TCP_LIMIT }).bytes);
  const [first, ...more] = messages;
  return { bytes: first!, rcode: "NOERROR", qtype: RRTYPE.AXFR, truncated: false, more };
}

interface Echo {
  question?: Question;
  opt?: Opt;
  udpSize?: number;
  options?: readonly EdnsOption[];
  limit?: number;
  rotation?: number;
  /** Set for a query with DO to a signed zone: each RRset goes with its RRSIGs, denials with NSEC. */
  dnssec?: ZoneDnssec;
}

function finish(header: Header, unsigned: Outcome, echo: Echo = {}): Reply {
  const { question, opt, udpSize = UDP_EDNS_LIMIT, options = [], limit = UDP_PLAIN_LIMIT, rotation = 0, dnssec } = echo;
  const outcome = dnssec ? signed(unsigned, dnssec, rotation) : unsigned;
  // Signing on demand is capped: over the cap the answer cannot be signed.
  if (!outcome) return finish(header, { rcode: "SERVFAIL" }, { ...echo, dnssec: undefined });
  const code = RCODE[outcome.rcode];
  // Signed RRsets come rotated already, their RRSIGs last.
  const answer = (outcome.answer ?? []).map((rrset) => (dnssec ? rrset : rotate(rrset, rotation)));
  const authority = outcome.authority ?? [];
  const additional = [...(outcome.additional ?? [])];
  const optBytes = opt ? optLength(options) : 0;
  const encodeSections = () => {
    const c = startCompression(question?.raw);
    const sections = [answer, authority, additional].map((section) => section.flat().map((rr) => encodeRecord(rr, c)));
    return { sections, size: c.at + optBytes };
  };

  let body = encodeSections();
  let truncated = false;
  // RFC 2181 §9: additional data is left out silently; TC is for a missing answer RRset.
  // Compression points only backwards, so each try is encoded afresh to know its exact size.
  while (body.size > limit) {
    let dropped = additional.pop();
    if (!dropped) {
      truncated = true;
      dropped = answer.pop();
    }
    if (!dropped) break;
    body = encodeSections();
  }

  const flags = QR | (header.opcode << 11) | (outcome.aa ? AA : 0) | (truncated ? TC : 0) | (header.flags & (RD | CD)) | (code & 0xf);
  const counts = [question ? 1 : 0, ...body.sections.map((s) => s.length)];
  // RFC 6891 §7: a query with OPT gets an OPT back; the rcode's upper 8 bits live in it.
  if (opt) counts[3]! += 1;
  const bytes = new Uint8Array(body.size);
  bytes.set([header.id >> 8, header.id & 0xff, flags >> 8, flags & 0xff, ...counts.flatMap((n) => [n >> 8, n & 0xff])]);
  // The question's own bytes, echoed exactly (resolvers check the 0x20 case pattern).
  if (question) bytes.set(question.raw, HEADER_BYTES);
  let at = HEADER_BYTES + (question?.raw.byteLength ?? 0);
  for (const record of body.sections.flat()) {
    bytes.set(record, at);
    at += record.byteLength;
  }
  if (opt) writeOpt(bytes, at, udpSize, code >> 4, opt.dnssecOk, options);
  return { bytes, rcode: outcome.rcode, qtype: question?.type, truncated };
}

/**
 * The outcome with each RRset followed by its RRSIGs (one unit: truncation drops both), and a
 * denial as compact denial (RFC 9824): NODATA with the signed NSEC at the name, NXDOMAIN turned
 * into NODATA whose NSEC lists only NXNAME. Undefined when a signature was needed and capped.
 */
function signed(o: Outcome, d: ZoneDnssec, rotation: number): Outcome | undefined {
  let capped = false;
  const withSigs = (rrset: RRset): RRset => {
    const sigs = d.rrsigs.get(rrset) ?? d.signOnline(rrset);
    if (!sigs) capped = true;
    return [...rotate(rrset, rotation), ...(sigs ?? [])];
  };
  const answer = (o.answer ?? []).map(withSigs);
  let authority = (o.authority ?? []).map(withSigs);
  if (o.denied) {
    const nsec = d.denial(o.denied.owner, o.rcode === "NXDOMAIN" ? [TYPE_NXNAME] : o.denied.types);
    if (!nsec) capped = true;
    authority = [...authority, nsec ?? []];
  }
  const additional = (o.additional ?? []).map(withSigs);
  if (capped) return undefined;
  return { ...o, rcode: o.rcode === "NXDOMAIN" ? "NOERROR" : o.rcode, answer, authority, additional };
}

function rotate(rrset: RRset, rotation: number): RRset {
  const start = rotation % rrset.length;
  return start === 0 ? rrset : [...rrset.slice(start), ...rrset.slice(0, start)];
}

function optLength(options: readonly EdnsOption[]): number {
  return options.reduce((n, o) => n + 4 + o.data.byteLength, OPT_FIXED_BYTES);
}

/** Our OPT (RFC 6891 §6.1.2): root owner, our UDP size, extended rcode, version 0, DO echoed. */
function writeOpt(out: Uint8Array, at: number, udpSize: number, extendedRcode: number, dnssecOk: boolean, options: readonly EdnsOption[]): void {
  const rdlength = optLength(options) - OPT_FIXED_BYTES;
  out.set([0, 0, RRTYPE.OPT, udpSize >> 8, udpSize & 0xff, extendedRcode, 0, dnssecOk ? 0x80 : 0, 0, rdlength >> 8, rdlength & 0xff], at);
  at += OPT_FIXED_BYTES;
  for (const o of options) {
    out.set([o.code >> 8, o.code & 0xff, o.data.byteLength >> 8, o.data.byteLength & 0xff], at);
    out.set(o.data, at + 4);
    at += 4 + o.data.byteLength;
  }
}
