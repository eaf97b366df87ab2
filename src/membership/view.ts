// Each node's ordered view of the site's members, fed by heartbeats, reports and connection events.
// Pure: every function takes the clock reading it needs.
//
// Rules:
// - A member is live while it has been heard from (a heartbeat, or a fresh report of its own)
//   within deadAfterMs, unless the direct connection to it closed after it was last heard and
//   nothing has been heard for graceMs since. A killed peer is seen within the grace that way;
//   a connection that blips (libp2p drops one now and then and redials) does not make a live
//   member flap.
// - Candidates are live members with the controller role and the same site digest, ordered
//   by (priority, peer id). The first is master: the same rule on every node gives the same
//   answer whenever views agree (thesis §6.3).
import type { PeerIdText } from "../core/types.ts";
import type { HeartbeatMsg } from "../net/messages.ts";

export interface Member {
  peer: PeerIdText;
  node: string;
  roles: HeartbeatMsg["roles"];
  priority?: number;
  site: string;
  epoch: number;
  /** The sender's own stamp on its newest heartbeat: an older one again is a replay. */
  heartbeatAtMs: number;
  lastHeardMs: number;
  /** When the direct connection last closed, if after the last heartbeat. */
  disconnectedAtMs?: number;
}

export type Members = ReadonlyMap<PeerIdText, Member>;

export interface Liveness {
  deadAfterMs: number;
  /** How long after a disconnect, with nothing heard, a member counts as dead. */
  graceMs: number;
}

/**
 * How often a node with these roles sends its heartbeat. Controllers and nameservers keep the
 * site's pace (candidates are judged dead within candidate_dead_after_ms). A node that only
 * reports, or only replicates, is judged on dead_after_ms alone: three heartbeats within it are
 * enough, and on a site of hundreds of web servers they are most of what area nodes receive.
 */
export function heartbeatEveryMs(roles: readonly string[], heartbeatIntervalMs: number, deadAfterMs: number): number {
  const keepsPace = roles.includes("controller") || roles.includes("nameserver");
  return keepsPace ? heartbeatIntervalMs : thriceWithin(deadAfterMs, heartbeatIntervalMs);
}

/** The slowest pace at which something judged on dead_after_ms is still heard three times within it (never faster than `atLeastMs`). */
export const thriceWithin = (deadAfterMs: number, atLeastMs: number): number => Math.max(atLeastMs, Math.floor(deadAfterMs / 3));

export function withHeartbeat(members: Members, from: PeerIdText, hb: HeartbeatMsg, nowMs: number): Map<PeerIdText, Member> {
  const next = new Map(members);
  const m: Member = { peer: from, node: hb.node, roles: hb.roles, site: hb.site, epoch: hb.epoch, heartbeatAtMs: hb.atMs, lastHeardMs: nowMs };
  if (hb.priority !== undefined) m.priority = hb.priority;
  next.set(from, m);
  return next;
}

/** A fresh message from a known member (a report) says it is alive as a heartbeat would; a stranger stays unknown. */
export function withHeard(members: Members, from: PeerIdText, nowMs: number): Members {
  const m = members.get(from);
  if (!m || m.lastHeardMs >= nowMs) return members;
  return new Map(members).set(from, { ...m, lastHeardMs: nowMs });
}

export function withDisconnect(members: Members, peer: PeerIdText, nowMs: number): Map<PeerIdText, Member> {
  const next = new Map(members);
  const m = next.get(peer);
  if (m) next.set(peer, { ...m, disconnectedAtMs: nowMs });
  return next;
}

export function isLive(m: Member, nowMs: number, rules: Liveness): boolean {
  if (nowMs - m.lastHeardMs > rules.deadAfterMs) return false;
  const cut = m.disconnectedAtMs;
  return cut === undefined || cut < m.lastHeardMs || nowMs - cut < rules.graceMs;
}

export function candidates(members: Members, site: string, nowMs: number, rules: Liveness): Member[] {
  return [...members.values()]
    .filter((m) => m.priority !== undefined && m.roles.includes("controller") && m.site === site && isLive(m, nowMs, rules))
    .sort((a, b) => (a.priority as number) - (b.priority as number) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

export function masterOf(members: Members, site: string, nowMs: number, rules: Liveness): PeerIdText | undefined {
  return candidates(members, site, nowMs, rules)[0]?.peer;
}

/** Members that are gone for good can be forgotten after a while; keeps the map bounded. */
export function withoutLongDead(members: Members, nowMs: number, forgetAfterMs: number): Map<PeerIdText, Member> {
  return new Map([...members].filter(([, m]) => nowMs - m.lastHeardMs <= forgetAfterMs));
}
