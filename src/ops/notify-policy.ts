// Which notices go out: pure rules with the clock reading passed in. A notice is an episode's
// start (a server panics, has been dead too long, an area is forced elsewhere, a new master);
// the same notice is not repeated within repeat_after_ms, and at most max_per_minute leave.
import type { ServerName, ServerState } from "../core/types.ts";

/** director-failing names the backend in `server`. */
export type NoticeKind = "panic" | "dead" | "forced" | "master-change" | "director-failing" | "stale";

export interface Notice {
  event: NoticeKind;
  server?: string;
  cluster?: string;
  area?: string;
  reason: string;
  atMs: number;
}

export interface GateRules {
  repeatAfterMs: number;
  maxPerMinute: number;
}

const MINUTE_MS = 60_000;

/** What makes two notices the same: a flapping server must not page a human every round. */
export function noticeKey(n: Notice): string {
  return [n.event, n.server ?? "", n.area ?? "", n.event === "master-change" ? n.reason : (n.cluster ?? "")].join("|");
}

export type Verdict = "send" | "duplicate" | "rate-limited";

/** Dedup and rate limit. Mutable but clock-free: every decision takes the reading. */
export class NoticeGate {
  private readonly lastSentMs = new Map<string, number>();
  private sentMs: number[] = [];
  /** Notices held back since the last one that went out, reported with it. */
  suppressed = 0;

  constructor(private readonly rules: GateRules) {}

  offer(n: Notice, nowMs: number): Verdict {
    const key = noticeKey(n);
    const last = this.lastSentMs.get(key);
    if (last !== undefined && nowMs - last < this.rules.repeatAfterMs) return "duplicate";
    this.sentMs = this.sentMs.filter((t) => nowMs - t < MINUTE_MS);
    if (this.sentMs.length >= this.rules.maxPerMinute) {
      this.suppressed++;
      return "rate-limited";
    }
    this.sentMs.push(nowMs);
    this.lastSentMs.set(key, nowMs);
    // Bounded: keys older than the repeat window can no longer suppress anything.
    if (this.lastSentMs.size > 10_000) for (const [k, t] of this.lastSentMs) if (nowMs - t >= this.rules.repeatAfterMs) this.lastSentMs.delete(k);
    return "send";
  }
}

/** Delay before delivery attempt `attempt` (1 = first retry): doubling from base, capped. */
export function backoffMs(attempt: number, baseMs = 1000, maxMs = 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Since when each server has been dead, carried from one check to the next. */
export function deadSince(
  prev: ReadonlyMap<ServerName, number>,
  states: readonly { name: ServerName; state: ServerState }[],
  nowMs: number,
): Map<ServerName, number> {
  const next = new Map<ServerName, number>();
  for (const s of states) if (s.state === "dead") next.set(s.name, prev.get(s.name) ?? nowMs);
  return next;
}

/** One line a human reads in a chat channel or a mail subject. */
export function noticeText(n: Notice, zone: string): string {
  const subject =
    n.event === "master-change"
      ? "new master"
      : n.event === "forced"
        ? `area ${n.area} forced onto cluster ${n.cluster}`
        : n.event === "director-failing"
          ? `director backend ${n.server} failing`
          : `server ${n.server} (cluster ${n.cluster}) ${n.event.toUpperCase()}`;
  return `walrus ${zone}: ${subject}: ${n.reason}`;
}
