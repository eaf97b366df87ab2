// One nameserver's answering with its counters, shared by every socket: reply() for TCP and the
// unusual, the allocation-free fast path (fast-answer.ts) first for UDP. Counts only: the time
// to answer is measured per batch by the batched path, and on one query in LATENCY_SAMPLE here.

import { reply, servfail, type ChooseArea, type Reply } from "./answer.ts";
import { fastAnswer, type FastContext } from "./fast-answer.ts";
import { parseQuery, readHeader } from "./query.ts";
import { rateLimiter, type RateLimiterOptions } from "./rate-limit.ts";
import { RRTYPE } from "./rr.ts";
import type { Zone } from "./zone.ts";
import { signingCounts } from "./zone-keys.ts";

/** Upper bounds (µs) of the answering-time histogram; the last count is for anything slower. */
export const LATENCY_BOUNDS_US = [10, 25, 50, 100, 250, 1000, 10_000] as const;
/** One query in this many is timed when answered one by one. */
const LATENCY_SAMPLE = 16;

export interface DnsStats {
  queries: number;
  /** Replies sent, by rcode name. */
  responses: Record<string, number>;
  /** Queries by type name (A, AAAA, …; "other" for the rest), when the question was readable. */
  qtypes: Record<string, number>;
  /** Replies sent with TC set (too big for the client's UDP size). */
  truncated: number;
  /** Queries left unanswered: shorter than a header, themselves responses, or over the largest datagram read. */
  dropped: number;
  /** Queries over the response-rate limit: dropped, or answered with an empty TC reply. */
  rateLimited: number;
  /** Time from receipt to reply built (sampled, or per batch): counts per LATENCY_BOUNDS_US bucket, then one for slower. */
  latencyCounts: number[];
  errors: number;
  /** TCP connections open now. */
  tcpConnections: number;
  /** TCP connections closed at once because tcp_max_connections were open. */
  tcpRefused: number;
  /** DNS worker processes started again after they exited or went quiet. */
  workerRestarts: number;
  /** DNSSEC signatures made (with the zone, and on demand for names that do not exist). */
  dnssecSignatures: number;
  /** Answers left unsigned (SERVFAIL) because signing on demand was over its rate cap. */
  dnssecCapped: number;
}

export function emptyStats(): DnsStats {
  return {
    queries: 0,
    responses: {},
    qtypes: {},
    truncated: 0,
    dropped: 0,
    rateLimited: 0,
    latencyCounts: LATENCY_BOUNDS_US.map(() => 0).concat(0),
    errors: 0,
    tcpConnections: 0,
    tcpRefused: 0,
    workerRestarts: 0,
    dnssecSignatures: 0,
    dnssecCapped: 0,
  };
}

const TYPE_NAMES = new Map(Object.entries(RRTYPE).map(([name, code]) => [code as number, name]));

export interface AnswererOptions {
  zone: () => Zone;
  udpSize: number;
  chooseArea?: ChooseArea;
  /** Per client prefix, UDP only; absent or 0 per second: no limit. */
  rateLimit?: RateLimiterOptions;
  /** The caller times whole batches (timed()); otherwise one UDP query in LATENCY_SAMPLE is timed. */
  timesBatches?: boolean;
  fail: (what: string, err: unknown) => void;
}

export interface Answerer {
  /** reply() with counting; SERVFAIL when answering throws. */
  answer(query: Uint8Array, transport: "udp" | "tcp", source: string | undefined, transferAllowed?: boolean): Reply | null;
  /** A UDP reply written into `out`: its length, or -1 to send nothing. `source` is read only when steering needs it. */
  answerUdp(query: Uint8Array, length: number, source: () => string | undefined, out: Uint8Array): number;
  /** `count` queries answered in `elapsedUs` together. */
  timed(count: number, elapsedUs: number): void;
}

export function answerer(o: AnswererOptions, stats: DnsStats): Answerer {
  let rotation = 0;
  let sample = 0;
  const limiter = o.rateLimit && o.rateLimit.perSecond > 0 ? rateLimiter(o.rateLimit) : undefined;
  const fast: FastContext = { rotation: 0, udpSize: o.udpSize, chooseArea: o.chooseArea };

  // Signing is counted by the process (zone-keys.ts); what it did since the last look is added here.
  let signing = signingCounts();
  const countSigning = () => {
    const now = signingCounts();
    stats.dnssecSignatures += now.signed + now.onlineSigned - signing.signed - signing.onlineSigned;
    stats.dnssecCapped += now.onlineCapped - signing.onlineCapped;
    signing = now;
  };

  const timed = (count: number, us: number) => {
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS_US.length && us > LATENCY_BOUNDS_US[bucket]!) bucket++;
    stats.latencyCounts[bucket]! += count;
  };

  const answer = (
    query: Uint8Array,
    transport: "udp" | "tcp",
    source: string | undefined,
    transferAllowed = false,
    chooseArea = o.chooseArea,
    timing?: boolean,
  ): Reply | null => {
    // timing: whether to time this one; undefined: one in LATENCY_SAMPLE.
    const started = timing === true || (timing === undefined && ++sample % LATENCY_SAMPLE === 0) ? performance.now() : -1;
    stats.queries++;
    let r: Reply | null;
    try {
      r = reply(query, o.zone(), { transport, rotation, source, transferAllowed, udpSize: o.udpSize, chooseArea });
    } catch (err) {
      o.fail("answer", err);
      r = servfail(query);
    }
    if (!r) {
      stats.dropped++;
      return null;
    }
    rotation = (rotation + 1) & 0x3fffffff;
    stats.responses[r.rcode] = (stats.responses[r.rcode] ?? 0) + 1;
    if (r.qtype !== undefined) {
      const type = TYPE_NAMES.get(r.qtype) ?? "other";
      stats.qtypes[type] = (stats.qtypes[type] ?? 0) + 1;
    }
    if (r.truncated) stats.truncated++;
    countSigning();
    if (started >= 0) timed(LATENCY_SAMPLE, (performance.now() - started) * 1000);
    return r;
  };

  return {
    answer: (query, transport, source, transferAllowed) => answer(query, transport, source, transferAllowed),
    answerUdp(query, length, source, out) {
      if (limiter) {
        const verdict = limiter.check(source() ?? "", Date.now());
        if (verdict !== "answer") {
          stats.rateLimited++;
          const tc = verdict === "slip" ? slipReply(query.subarray(0, length)) : null;
          if (!tc) return -1;
          out.set(tc);
          return tc.byteLength;
        }
      }
      fast.rotation = rotation;
      fast.source = o.chooseArea || limiter ? source() : undefined;
      fast.choice = undefined;
      const started = !o.timesBatches && ++sample % LATENCY_SAMPLE === 0 ? performance.now() : -1;
      let n: number;
      try {
        n = fastAnswer(query, length, o.zone(), fast, out);
      } catch (err) {
        // As in answer(): counted once, and the client gets SERVFAIL.
        o.fail("answer", err);
        stats.queries++;
        const r = servfail(query.subarray(0, length));
        if (!r) return -1;
        stats.responses.SERVFAIL = (stats.responses.SERVFAIL ?? 0) + 1;
        out.set(r.bytes);
        return r.bytes.byteLength;
      }
      if (n >= 0) {
        stats.queries++;
        rotation = (rotation + 1) & 0x3fffffff;
        stats.responses.NOERROR = (stats.responses.NOERROR ?? 0) + 1;
        const type = fast.qtype === RRTYPE.A ? "A" : "AAAA";
        stats.qtypes[type] = (stats.qtypes[type] ?? 0) + 1;
        if (started >= 0) timed(LATENCY_SAMPLE, (performance.now() - started) * 1000);
        return n;
      }
      // The area chosen already is reused, so steering is counted once.
      const chosen = fast.choice;
      const r = answer(query.subarray(0, length), "udp", fast.source, false, chosen ? () => chosen : o.chooseArea, started >= 0);
      if (!r || r.bytes.byteLength > out.byteLength) return -1;
      out.set(r.bytes);
      return r.bytes.byteLength;
    },
    timed,
  };
}

/** A rate-limited query's slip: its header and question with TC set, nothing else, never larger than the query. */
function slipReply(query: Uint8Array): Uint8Array | null {
  const header = readHeader(query);
  if (!header) return null;
  const parsed = parseQuery(query, header);
  const question = parsed.ok ? parsed.question.raw : new Uint8Array(0);
  const out = new Uint8Array(12 + question.byteLength);
  out.set(query.subarray(0, 4));
  out[2] = 0x80 | (query[2]! & 0x79) | 0x02; // QR, opcode and RD kept, TC set
  out[3] = 0;
  out[5] = parsed.ok ? 1 : 0;
  out.set(question, 12);
  return out;
}
