// Spill shares in words, the same in `walrus status`, the page, the logs and the decision log.
import type { AreaAssignment, AreaName, SpillShare } from "../core/types.ts";

/** "east 30 % → north: east load 0.93 ≥ 0.8, north 0.35". */
export function describeShare(area: AreaName, s: Pick<SpillShare, "to" | "fraction" | "detail">): string {
  return `${area} ${Math.round(s.fraction * 100)} % → ${s.to}${s.detail ? `: ${s.detail}` : ""}`;
}

/** The shares that changed between two rounds of one area, in words; a share that ended reads "0 %". */
export function spillChanges(before: AreaAssignment | undefined, after: AreaAssignment): string[] {
  const was = new Map((before?.cluster === after.cluster ? (before.spill ?? []) : []).map((s) => [s.to, s]));
  const out: string[] = [];
  for (const s of after.spill ?? []) {
    if (was.get(s.to)?.fraction !== s.fraction) out.push(describeShare(after.area, s));
    was.delete(s.to);
  }
  for (const s of was.values()) out.push(describeShare(after.area, { to: s.to, fraction: 0, detail: "share ended" }));
  return out;
}
