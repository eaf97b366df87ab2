// Each node's ordered view of the site's members, fed by heartbeats and connection events.
// Pure: every function takes the clock reading it needs.
//
// Rules:
// - A member is live while it has been heard from within deadAfterMs, unless the connection
//   to it closed after the last heartbeat (a killed peer is seen in milliseconds that way;
//   a heartbeat arriving later, through another path, revives it).
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
  lastHeardMs: number;
  /** When the direct connection last closed, if after the last heartbeat. */
  disconnectedAtMs?: number;
}

export type Members = ReadonlyMap<PeerIdText, Member>;

export function withHeartbeat(members: Members, from: PeerIdText, hb: HeartbeatMsg, nowMs: number): Map<PeerIdText, Member> {
  const next = new Map(members);
  const m: Member = { peer: from, node: hb.node, roles: hb.roles, site: hb.site, epoch: hb.epoch, lastHeardMs: nowMs };
  if (hb.priority !== undefined) m.priority = hb.priority;
  next.set(from, m);
  return next;
}

export function withDisconnect(members: Members, peer: PeerIdText, nowMs: number): Map<PeerIdText, Member> {
  const next = new Map(members);
  const m = next.get(peer);
  if (m) next.set(peer, { ...m, disconnectedAtMs: nowMs });
  return next;
}

export function isLive(m: Member, nowMs: number, deadAfterMs: number): boolean {
  if (nowMs - m.lastHeardMs > deadAfterMs) return false;
  return m.disconnectedAtMs === undefined || m.disconnectedAtMs < m.lastHeardMs;
}

export function candidates(members: Members, site: string, nowMs: number, deadAfterMs: number): Member[] {
  return [...members.values()]
    .filter((m) => m.priority !== undefined && m.roles.includes("controller") && m.site === site && isLive(m, nowMs, deadAfterMs))
    .sort((a, b) => (a.priority as number) - (b.priority as number) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

export function masterOf(members: Members, site: string, nowMs: number, deadAfterMs: number): PeerIdText | undefined {
  return candidates(members, site, nowMs, deadAfterMs)[0]?.peer;
}

/** Members that are gone for good can be forgotten after a while; keeps the map bounded. */
export function withoutLongDead(members: Members, nowMs: number, forgetAfterMs: number): Map<PeerIdText, Member> {
  return new Map([...members].filter(([, m]) => nowMs - m.lastHeardMs <= forgetAfterMs));
}
