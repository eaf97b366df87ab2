// `walrus status` as text readable at a glance.
import type { StatusReport } from "../ops/status.ts";
import { describeUsage } from "../ops/process-usage.ts";
import { formatLocationStatus } from "../geo/location-status.ts";
import { formatSpread, requestCells } from "./spread-format.ts";

/** Each reason said the way an operator asks "why does this area point there?". */
const WHY: Record<string, string> = {
  home: "home and healthy",
  availability: "forced by availability",
  balance: "moved by balancing",
  kept: "kept (no better cluster)",
  "none-functioning": "nothing functions anywhere",
  unassigned: "no assignment yet",
  spill: "share of resolvers spilled",
};
const DECISIONS_SHOWN = 10;

export function formatStatus(s: StatusReport): string {
  const out: string[] = [];
  const master = s.master ? `${s.master.node}${s.master.self ? " (this node)" : ""}` : "NONE (no live controller candidate)";
  out.push(`site ${s.site.zone}  version ${s.site.version}  digest ${s.site.digest}  node ${s.node} [${s.roles.join(", ")}]`);
  out.push(`master: ${master}`);
  out.push(
    s.authority.mode === "open"
      ? "authority: OPEN — no [node] operator_keys: any member holding the site secret may decide, report and drain"
      : `authority: grants checked against ${s.authority.operatorKeys} operator key(s)${s.authority.revoked.length ? `; revoked grants: ${s.authority.revoked.join(", ")}` : ""}`,
  );
  if (s.assignment) out.push(`assignment: epoch ${s.assignment.epoch} seq ${s.assignment.seq}, ${(s.assignment.ageMs / 1000).toFixed(1)} s old`);
  out.push("");
  out.push(
    table(
      ["AREA", "→ CLUSTER", "SERVERS", "WHY"],
      s.areas.map((a) => [a.area, a.cluster, a.servers.join(" ") || "-", explain(a, s.decisions)]),
    ),
  );
  const spills = s.areas.flatMap((a) => a.spill ?? []);
  if (spills.length) out.push(...spills.map((x) => `spill: ${x.text}`));
  out.push("");
  out.push(
    table(
      ["SERVER", "CLUSTER", "STATE", "LOAD", "REQ/S", "SHARE", "NOTE"],
      s.servers.map((v) => [
        v.name,
        v.cluster,
        v.drained ? `DRAINED (measured ${v.measured})` : v.state.toUpperCase(),
        v.load === null ? "-" : `${v.load.toFixed(2)}${v.load >= v.threshold ? " OVER" : ""}`,
        ...requestCells(s.spread, v.name),
        [v.selfRegistered && "self-registered", v.drained ? v.drainReason : v.reason].filter(Boolean).join("; "),
      ]),
    ),
  );
  if (s.spread) out.push("", ...formatSpread(s.spread, table));
  out.push("");
  out.push(
    table(
      ["MEMBER", "ROLES", "PRIORITY", "LIVE", "GRANTED", "NOTE"],
      s.members.map((m) => [
        m.node,
        m.roles.join(","),
        m.priority === null ? "-" : String(m.priority),
        m.live ? "yes" : "no",
        m.granted ?? "(open site)",
        m.siteMatches ? `heard ${(m.heardAgoMs / 1000).toFixed(1)} s ago` : "SITE CONFIG DIFFERS: left out",
      ]),
    ),
  );
  if (s.decisions.length) {
    out.push("", `recent decisions (newest first, of ${s.decisions.length} kept):`);
    out.push(
      table(
        ["TIME (UTC)", "AREA", "MOVE", "REASON", "FIGURES"],
        s.decisions
          .slice(0, DECISIONS_SHOWN)
          .map((d) => [
            utcTime(d.atMs),
            d.area,
            d.from === null ? `→ ${d.to}` : d.from === d.to ? `stays ${d.to}` : `${d.from} → ${d.to}`,
            WHY[d.reason] ?? d.reason,
            d.detail,
          ]),
      ),
    );
  }
  if (s.dns)
    out.push(
      "",
      `dns: ${s.dns.queries} queries; ${
        Object.entries(s.dns.responses)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "no responses yet"
      }`,
    );
  const rejected = Object.entries(s.gossip.rejected);
  out.push(`gossip: ${s.gossip.peers} connected peers${rejected.length ? `; rejected ${rejected.map(([k, v]) => `${k} ${v}`).join(", ")}` : ""}`);
  out.push(`this node: ${describeUsage(s.process)}`);
  if (s.locations) out.push("", ...formatLocationStatus(s.locations));
  if (s.director) {
    const ago = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);
    out.push(
      "",
      table(
        ["DIRECTOR BACKEND", "SERVER", "STATE", "LAST RESULT", "LAST UPDATE LAG", "LAG NOW"],
        s.director.map((b) => [b.name, b.server, b.state, b.lastResult, ago(b.lastLagMs), ago(b.lagMs)]),
      ),
    );
  }
  if (s.resync?.length) {
    out.push(
      "",
      table(
        ["RESYNC FAILING", "TRIES", "NEXT TRY IN", "LAST ERROR"],
        s.resync.map((f) => [f.server, String(f.failures), `${(f.retryInMs / 1000).toFixed(1)} s`, f.error]),
      ),
    );
  }
  return out.join("\n");
}

/** An area kept away from home says what moved it there, from the decision log. */
export function explain(a: StatusReport["areas"][number], decisions: StatusReport["decisions"]): string {
  const why = `${WHY[a.reason] ?? a.reason}: ${a.detail}`;
  if (a.reason !== "kept" || a.cluster === a.area) return why;
  const move = decisions.find((d) => d.area === a.area && d.to === a.cluster && d.from !== null && d.from !== d.to);
  return move ? `${why}; there since ${utcTime(move.atMs)}, ${WHY[move.reason] ?? move.reason}: ${move.detail}` : why;
}

const utcTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
