// Turns what the controller has heard (reports, drains, peer liveness) into one state per
// server for this round. Pure: the round's clock reading is an argument.
import type { DrainEntry, LoadTerm, PeerIdText, Report, ServerName, ServerSpec, ServerView } from "../core/types.ts";
import { loadFigure } from "./load.ts";
import { overloadedAfter, type OverloadRules } from "./overload.ts";

export interface ReportRecord {
  report: Report;
  from: PeerIdText;
  receivedAtMs: number;
  /** The load of the newest OK report, reused while TEMPFAIL lasts (thesis §5.3). */
  lastGood?: { load: number | undefined; atMs: number };
  /** Overloaded by lastGood's load, with hysteresis (overload.ts). */
  overloaded?: boolean;
}

export interface RecordRules extends OverloadRules {
  loadTerms: readonly LoadTerm[];
}

export interface ViewRules {
  loadTerms: readonly LoadTerm[];
  /** A report older than this counts as dead. */
  deadAfterMs: number;
  /** A TEMPFAIL server's last OK figures are reused while younger than this (site.tempfail_reuse_ms). */
  tempfailReuseMs: number;
}

/** Folds a new report into the record kept for its server. */
export function recordReport(prev: ReportRecord | undefined, report: Report, from: PeerIdText, nowMs: number, rules: RecordRules): ReportRecord {
  if (report.status !== "ok") return { report, from, receivedAtMs: nowMs, lastGood: prev?.lastGood, overloaded: prev?.overloaded };
  const load = loadFigure(report, rules.loadTerms);
  return { report, from, receivedAtMs: nowMs, lastGood: { load, atMs: nowMs }, overloaded: overloadedAfter(prev?.overloaded, load, rules) };
}

export function serverViews(
  servers: readonly ServerSpec[],
  records: ReadonlyMap<ServerName, ReportRecord>,
  drains: ReadonlyMap<ServerName, DrainEntry>,
  peerLive: (p: PeerIdText) => boolean,
  nowMs: number,
  rules: ViewRules,
): ServerView[] {
  return servers.map((s) => {
    const base = { name: s.name, cluster: s.area };
    const drain = drains.get(s.name);
    if (drain?.drained) return { ...base, state: "drained", reason: drain.reason || "drained by operator" };
    const rec = records.get(s.name);
    if (!rec) return { ...base, state: "unknown", reason: "no report yet" };
    const age = nowMs - rec.receivedAtMs;
    if (!peerLive(rec.from)) return { ...base, state: "dead", reason: "its reporter's node left" };
    if (age > rules.deadAfterMs) return { ...base, state: "dead", reason: `no report for ${Math.round(age)} ms` };
    const r = rec.report;
    switch (r.status) {
      case "panic":
        return { ...base, state: "panic", reason: r.reason ?? "panic" };
      case "bypass":
        return { ...base, state: "bypass", reason: r.reason ?? "bypass" };
      case "tempfail": {
        // §5.3: the reporter could not measure, so keep last round's figures, but not forever:
        // past tempfailReuseMs the server is up with no load, functioning for no phase.
        const good = rec.lastGood;
        if (good && nowMs - good.atMs <= rules.tempfailReuseMs)
          return { ...base, state: "tempfail", load: good.load, overloaded: rec.overloaded, reason: r.reason ?? "tempfail" };
        return { ...base, state: "tempfail", reason: `${r.reason ?? "tempfail"}; no recent figures to reuse` };
      }
      case "ok":
        return { ...base, state: "up", load: rec.lastGood?.load, overloaded: rec.overloaded };
    }
  });
}

/** Functioning: answering requests, possibly overloaded. TEMPFAIL counts while last figures are fresh. */
export function isFunctioning(v: ServerView): boolean {
  return v.state === "up" || (v.state === "tempfail" && v.load !== undefined);
}

/** Below threshold: functioning and not overloaded (by the hysteresis state when the view carries one). */
export function isBelowThreshold(v: ServerView, threshold: number): boolean {
  return isFunctioning(v) && !v.stale && v.load !== undefined && !(v.overloaded ?? v.load >= threshold);
}
