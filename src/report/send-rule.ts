// Which reports go out (issue 15). A calm server's report says what the last one said, so the
// reporter measures every interval but sends only when something the controller judges by has
// changed, and otherwise often enough that the last one never lapses (a third of dead_after, as
// reporter-only heartbeats) and that any dead_after_ms holds three of them: its reports are what
// keep a reporter-only node heard, and two of them lost in a row must not make it look dead.
// Pure: the reporter's clock reading is an argument.
import { loadFigure } from "../assign/load.ts";
import type { Report, Site } from "../core/types.ts";
import { thriceWithin } from "../membership/view.ts";

/** A load moving less than this stays unsent: well under the hysteresis and the balance margin. */
export const LOAD_STEP = 0.02;

export interface Sent {
  status: Report["status"];
  reason: string | undefined;
  release: string | undefined;
  load: number | undefined;
  atMs: number;
  /** When the two reports sent before this one went out, oldest first (fewer at the start). */
  earlierAtMs: readonly number[];
}

export type SendRules = Pick<Site, "loadTerms" | "loadThreshold" | "loadHysteresis" | "reportIntervalMs" | "deadAfterMs">;

/** How long an unchanged report may wait: the pace of a reporter-only node's heartbeats. */
export const refreshMs = (r: SendRules): number => thriceWithin(r.deadAfterMs, r.reportIntervalMs);

/** What `report` says, once sent after `before`. */
export function sentOf(report: Report, rules: SendRules, before?: Sent): Sent {
  const earlierAtMs = before ? [...before.earlierAtMs, before.atMs].slice(-2) : [];
  return { status: report.status, reason: report.reason, release: report.release, load: loadFigure(report, rules.loadTerms), atMs: report.atMs, earlierAtMs };
}

/** Why this report goes out, or undefined when the last one sent still says it. */
export function reasonToSend(last: Sent | undefined, next: Sent, rules: SendRules): string | undefined {
  if (!last) return "first";
  if (next.status !== last.status) return "status";
  if (next.reason !== last.reason) return "reason";
  if (next.release !== last.release) return "release";
  if (next.atMs - last.atMs >= refreshMs(rules)) return "refresh";
  // Left unsent, the next chance is a report interval on: it must still be within dead_after_ms
  // of the third report back (calm, the gaps go 2, 2, 1 s at the defaults).
  const thirdBack = last.earlierAtMs.length === 2 ? last.earlierAtMs[0]! : undefined;
  if (thirdBack !== undefined && next.atMs + rules.reportIntervalMs - thirdBack > rules.deadAfterMs) return "refresh";
  if ((next.load === undefined) !== (last.load === undefined)) return "load";
  if (next.load === undefined || last.load === undefined) return undefined;
  if (Math.abs(next.load - last.load) >= LOAD_STEP) return "load";
  // Either side of a line the controller draws: the threshold and where hysteresis ends.
  for (const line of [rules.loadThreshold, rules.loadThreshold - rules.loadHysteresis]) if (next.load >= line !== last.load >= line) return "load";
  return undefined;
}
