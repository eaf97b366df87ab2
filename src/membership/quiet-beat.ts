// Which heartbeats a node on the slow pace (one that only reports, or only replicates) leaves
// unsent (issue 15). Its reports already tell every area node that it is alive (site-view.ts
// counts a fresh report as heard from its author), so a heartbeat saying again what the last
// one said is news to no one. One still goes out when it says something new (grants, the drain
// table or its digest, the epoch, a release), when the node has sent nothing for a whole pace
// (no report since), and every REFRESH_BEATS ticks in case one was lost. Receivers judge it by
// its silence: its reports go three within any dead_after_ms (report/send-rule.ts), as its
// heartbeats did. Pure: the caller keeps the state and reads the clock.

/** About half a minute at a reporter-only node's pace of 1.67 s (dead_after_ms 5 s). */
export const REFRESH_BEATS = 20;

export interface BeatSent {
  /** The last heartbeat sent, without its stamp: what it said. */
  said: string;
  /** Ticks left unsent since it. */
  skipped: number;
}

export interface NextBeat {
  said: string;
  /** It carries the whole drain table: a peer may lack it (state/drain-gossip.ts), so it goes out. */
  carriesDrains: boolean;
}

/** Whether this tick's heartbeat goes out. `quietMs`: how long since the node last sent anything. */
export function beatDue(last: BeatSent | undefined, next: NextBeat, quietMs: number, paceMs: number): boolean {
  return !last || last.said !== next.said || next.carriesDrains || quietMs >= paceMs || last.skipped + 1 >= REFRESH_BEATS;
}
