// The hot path beside reply(): a plain A/AAAA query for a balanced name (one question, class IN,
// at most an OPT record of version 0) is answered by writing the template straight into a buffer
// the caller reuses; everything else returns -1 and goes to reply(). Its bytes equal reply()'s
// for every query it takes (test/unit/dns/fast-answer.test.ts). Pure; it allocates nothing,
// except when a query's EDNS options differ from the previous query's (they are copied once for
// the area chooser, which reads them while it is called and keeps nothing of them).

import type { AreaChoice, ChooseArea, EdnsOption } from "./answer.ts";
import { RRTYPE } from "./rr.ts";
import { answerKey } from "./spill-answer.ts";
import { copyBytes, writeTemplate, type Template } from "./templates.ts";
import type { Zone } from "./zone.ts";

const HEADER_BYTES = 12;
const NAME_BYTES_MAX = 255;
const OPT_FIXED_BYTES = 11;
const UDP_PLAIN_LIMIT = 512;
const QR_OR_OPCODE = 0xf8;
const RD_CD = 0x0110;
const QR_AA = 0x8400;
const NO_OPTIONS: readonly EdnsOption[] = [];

interface Entry {
  /** The owner name in wire form, ASCII lower case. */
  wire: Uint8Array;
  type: number;
  template: Template;
}

type AreaTemplates = Zone["templates"];
/** Per area, the templates by a hash of the lower-cased wire name and the type (see hashName). */
type Index = ReadonlyMap<string, ReadonlyMap<number, readonly Entry[]>>;
const indexes = new WeakMap<AreaTemplates, Index>();

/** Built once per zone (the zone changes only with the assignment), signed and unsigned apart. */
function indexOf(all: AreaTemplates): Index {
  const index = indexes.get(all);
  if (index) return index;
  const byArea = new Map<string, Map<number, Entry[]>>();
  for (const [area, templates] of all) {
    const byHash = new Map<number, Entry[]>();
    for (const [key, byType] of templates) {
      const wire = Uint8Array.from(key, (c) => c.charCodeAt(0));
      for (const [type, template] of byType) {
        const h = hashName(wire, 0, wire.byteLength, type);
        byHash.set(h, [...(byHash.get(h) ?? []), { wire, type, template }]);
      }
    }
    byArea.set(area, byHash);
  }
  indexes.set(all, byArea);
  return byArea;
}

let lastKeyTemplates: AreaTemplates | undefined;
let lastKey = "";
let lastByHash: ReadonlyMap<number, readonly Entry[]> | undefined;

/** One answer key's templates; a run of queries asks for the same key, so the last lookup is kept (a string-keyed Map lookup cost more than the rest of an answer). */
function byHashOf(all: AreaTemplates, key: string): ReadonlyMap<number, readonly Entry[]> | undefined {
  if (all === lastKeyTemplates && key === lastKey) return lastByHash;
  lastKeyTemplates = all;
  lastKey = key;
  lastByHash = indexOf(all).get(key);
  return lastByHash;
}

/** The chooser's argument, filled anew for each query. */
const chooserInput: { options: readonly EdnsOption[]; source?: string } = { options: NO_OPTIONS };
/** The previous query's options, copied: a resolver sends the same ones again and again. */
let lastOptionBytes = new Uint8Array(0);
let lastOptions: readonly EdnsOption[] = NO_OPTIONS;

function sameAsLast(query: Uint8Array, from: number, to: number): boolean {
  if (to - from !== lastOptionBytes.byteLength) return false;
  for (let i = from; i < to; i++) if (query[i] !== lastOptionBytes[i - from]) return false;
  return true;
}

/** The options between `from` and `to` (copied, and remembered as the last), or undefined when malformed. */
function readOptions(query: Uint8Array, from: number, to: number): readonly EdnsOption[] | undefined {
  const bytes = query.slice(from, to);
  const found: EdnsOption[] = [];
  for (let o = 0; o < bytes.byteLength;) {
    if (o + 4 > bytes.byteLength) return undefined;
    const n = (bytes[o + 2]! << 8) | bytes[o + 3]!;
    if (o + 4 + n > bytes.byteLength) return undefined;
    found.push({ code: (bytes[o]! << 8) | bytes[o + 1]!, data: bytes.subarray(o + 4, o + 4 + n) });
    o += 4 + n;
  }
  lastOptionBytes = bytes;
  lastOptions = found;
  return found;
}

/** FNV-1a over the name's bytes, ASCII lower-cased, then the type. */
function hashName(bytes: Uint8Array, from: number, to: number, type: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), 0x01000193);
  }
  return Math.imul(h ^ type, 0x01000193) >>> 0;
}

function sameName(wire: Uint8Array, bytes: Uint8Array, from: number): boolean {
  for (let i = 0; i < wire.byteLength; i++) {
    const b = bytes[from + i]!;
    if (wire[i] !== (b >= 0x41 && b <= 0x5a ? b | 0x20 : b)) return false;
  }
  return true;
}

export interface FastContext {
  rotation: number;
  /** Largest UDP reply, advertised in OPT. */
  udpSize: number;
  chooseArea?: ChooseArea;
  /** The sender's address; read only when chooseArea is set. */
  source?: string;
  /** Set by fastAnswer: the area chosen (also when it returned -1, so the chooser need not run twice). */
  choice?: AreaChoice;
  /** Set by fastAnswer when it answered: the question's type. */
  qtype?: number;
}

/**
 * Writes the reply to `query` (its first `length` bytes) into `out` and returns its length, or
 * -1 when reply() must answer it (anything but a template answer that fits over UDP).
 */
export function fastAnswer(query: Uint8Array, length: number, zone: Zone, ctx: FastContext, out: Uint8Array): number {
  // Header: a query (QR clear), opcode 0, exactly one question.
  if (length < HEADER_BYTES || (query[2]! & QR_OR_OPCODE) !== 0 || query[4] !== 0 || query[5] !== 1) return -1;
  if (query[6] !== 0 || query[7] !== 0 || query[8] !== 0 || query[9] !== 0) return -1;
  const arcount = (query[10]! << 8) | query[11]!;
  if (arcount > 1) return -1;

  let at = HEADER_BYTES;
  for (;;) {
    const n = query[at]!;
    if (at >= length || n > 63 || at + 1 + n > length) return -1;
    at += 1 + n;
    if (n === 0) break;
  }
  const nameEnd = at;
  if (nameEnd - HEADER_BYTES > NAME_BYTES_MAX || at + 4 > length) return -1;
  const type = (query[at]! << 8) | query[at + 1]!;
  if ((type !== RRTYPE.A && type !== RRTYPE.AAAA) || query[at + 2] !== 0 || query[at + 3] !== 1) return -1;
  at += 4;
  const questionEnd = at;

  // An OPT of version 0 with the root owner, options well formed, nothing after it.
  let hasOpt = false;
  let udpPayloadSize = 0;
  let dnssecOk = false;
  let options: readonly EdnsOption[] | undefined = NO_OPTIONS;
  if (arcount === 1) {
    if (at + OPT_FIXED_BYTES > length || query[at] !== 0 || query[at + 1] !== 0 || query[at + 2] !== RRTYPE.OPT || query[at + 6] !== 0) return -1;
    udpPayloadSize = (query[at + 3]! << 8) | query[at + 4]!;
    dnssecOk = (query[at + 7]! & 0x80) !== 0;
    const rdata = at + OPT_FIXED_BYTES;
    const end = rdata + ((query[at + 9]! << 8) | query[at + 10]!);
    if (end !== length) return -1;
    if (end > rdata) {
      options = sameAsLast(query, rdata, end) ? lastOptions : readOptions(query, rdata, end);
      if (!options) return -1;
    }
    hasOpt = true;
  } else if (at !== length) return -1;

  chooserInput.options = options;
  chooserInput.source = ctx.source;
  const choice = ctx.chooseArea?.(chooserInput);
  ctx.choice = choice;
  if (choice?.formerr) return -1;
  // A query with DO gets the signed answer when the zone is signed (RFC 3225 §3).
  const templates = dnssecOk && zone.signedTemplates ? zone.signedTemplates : zone.templates;
  // An area with spill shares answers some clients from a share's key, as reply() does.
  const area = choice ? choice.area : zone.servedArea;
  const spill = zone.spills.get(area);
  const byHash = byHashOf(templates, answerKey(area, spill, choice?.clientHash));
  const candidates = byHash?.get(hashName(query, HEADER_BYTES, nameEnd, type));
  let t: Template | undefined;
  for (const e of candidates ?? [])
    if (e.type === type && e.wire.byteLength === nameEnd - HEADER_BYTES && sameName(e.wire, query, HEADER_BYTES)) t = e.template;
  if (!t) return -1;
  ctx.qtype = type;

  const steered = (hasOpt && ((spill && choice?.spilledOptions) || choice?.options)) || NO_OPTIONS;
  let optBytes = 0;
  if (hasOpt) {
    optBytes = OPT_FIXED_BYTES;
    for (const o of steered) optBytes += 4 + o.data.byteLength;
  }
  const limit = hasOpt ? Math.min(Math.max(udpPayloadSize, UDP_PLAIN_LIMIT), ctx.udpSize) : UDP_PLAIN_LIMIT;
  const size = questionEnd + t.bytes + optBytes;
  if (size > limit || size > out.byteLength) return -1;

  // Header: id echoed, QR AA and the query's RD/CD, one question, the answer count, OPT or none.
  const flags = QR_AA | (((query[2]! << 8) | query[3]!) & RD_CD);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = 1;
  out[6] = t.count >> 8;
  out[7] = t.count & 0xff;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = hasOpt ? 1 : 0;
  // The question as sent, case and all: resolvers check the 0x20 pattern.
  for (let i = HEADER_BYTES; i < questionEnd; i++) out[i] = query[i]!;
  at = writeTemplate(t, out, questionEnd, ctx.rotation);
  if (hasOpt) {
    // Our OPT (RFC 6891 §6.1.2): root owner, our UDP size, rcode 0, version 0, DO echoed.
    const rdlength = optBytes - OPT_FIXED_BYTES;
    out[at] = 0;
    out[at + 1] = 0;
    out[at + 2] = RRTYPE.OPT;
    out[at + 3] = ctx.udpSize >> 8;
    out[at + 4] = ctx.udpSize & 0xff;
    out[at + 5] = 0;
    out[at + 6] = 0;
    out[at + 7] = dnssecOk ? 0x80 : 0;
    out[at + 8] = 0;
    out[at + 9] = rdlength >> 8;
    out[at + 10] = rdlength & 0xff;
    at += OPT_FIXED_BYTES;
    for (const o of steered) {
      out[at] = o.code >> 8;
      out[at + 1] = o.code & 0xff;
      out[at + 2] = o.data.byteLength >> 8;
      out[at + 3] = o.data.byteLength & 0xff;
      at = copyBytes(o.data, out, at + 4);
    }
  }
  return at;
}
