// Which resolvers this area's nameserver measures, and when: only prefixes that queried the site,
// each at most once per interval (with jitter, so areas and prefixes do not fall into step), and
// never more than the configured rate. Pure: time and randomness are passed in.

import { parseAddress, parsePrefix, truncate } from "./address.ts";

export interface ProbeRule {
  probesPerSecond: number;
  intervalMs: number;
}

export interface ProbeTarget {
  prefix: string;
  /** An address of the prefix that queried the site: the one probed. */
  address: string;
}

/** Prefixes planned; beyond it the one heard of longest ago is dropped. */
export const PLANNED_PREFIXES_MAX = 10_000;

interface Planned {
  address: string;
  dueAtMs: number;
}

export class ProbePlan {
  private readonly planned = new Map<string, Planned>();
  private tokens = 0;
  private lastAtMs: number | undefined;
  /** Probes handed out so far. */
  sent = 0;

  constructor(
    private readonly rule: ProbeRule,
    private readonly random: () => number,
  ) {}

  get size(): number {
    return this.planned.size;
  }

  /** A prefix that asked the site (here or at another area): due within a second, then every interval. */
  note(t: ProbeTarget, nowMs: number): void {
    if (!isLearnable(t.address)) return;
    const known = this.planned.get(t.prefix);
    if (known) {
      known.address = t.address;
      return;
    }
    if (this.planned.size >= PLANNED_PREFIXES_MAX) {
      const oldest = this.planned.keys().next();
      if (!oldest.done) this.planned.delete(oldest.value);
    }
    this.planned.set(t.prefix, { address: t.address, dueAtMs: nowMs + this.random() * 1000 });
  }

  /**
   * The targets to probe now, most overdue first, as many as the rate allows. The bucket holds
   * a second and a half's worth: a tick a little early (timers on a busy host) loses no probe,
   * and no window of ten seconds sees more than the rate's worth and a half.
   */
  due(nowMs: number): ProbeTarget[] {
    const elapsed = this.lastAtMs === undefined ? 1000 : Math.max(0, nowMs - this.lastAtMs);
    this.lastAtMs = nowMs;
    this.tokens = Math.min(1.5 * Math.max(1, this.rule.probesPerSecond), this.tokens + (elapsed / 1000) * this.rule.probesPerSecond);
    if (this.tokens < 1) return [];
    const ready = [...this.planned].filter(([, p]) => p.dueAtMs <= nowMs).sort((a, b) => a[1].dueAtMs - b[1].dueAtMs);
    const out: ProbeTarget[] = [];
    for (const [prefix, p] of ready) {
      if (this.tokens < 1) break;
      this.tokens--;
      this.sent++;
      // ±25 % jitter around the interval.
      p.dueAtMs = nowMs + this.rule.intervalMs * (0.75 + 0.5 * this.random());
      out.push({ prefix, address: p.address });
    }
    return out;
  }
}

/**
 * Whether an address says where a resolver is: loopback and link-local addresses name a
 * different host at every area (each nameserver would reach its own), so they are never learned.
 */
export function isLearnable(text: string): boolean {
  const a = parseAddress(text);
  if (!a) return false;
  const [b0 = 0, b1 = 0] = a.bytes;
  if (a.family === 4) return b0 !== 127 && b0 !== 0 && !(b0 === 169 && b1 === 254) && b0 < 224;
  const loopbackOrUnspecified = a.bytes.subarray(0, 15).every((b) => b === 0);
  return !loopbackOrUnspecified && !(b0 === 0xfe && (b1 & 0xc0) === 0x80) && b0 !== 0xff;
}

/**
 * Why a gossiped sample cannot be learned, or undefined when it can: the prefix must be the /24
 * (IPv4) or /48 (IPv6) that holds the probed address, and that address a learnable one.
 */
export function sampleProblem(s: ProbeTarget): string | undefined {
  const prefix = parsePrefix(s.prefix);
  if (typeof prefix === "string" || prefix.length !== (prefix.family === 4 ? 24 : 48)) return "prefix";
  const address = parseAddress(s.address);
  if (!address || address.family !== prefix.family || !truncate(address.bytes, prefix.length).every((b, i) => b === prefix.bytes[i])) return "address";
  return isLearnable(s.address) ? undefined : "not-learnable";
}
