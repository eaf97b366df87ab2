// Who may do what, as a pure value: the operator keys this node trusts, the valid grants each
// peer has presented, and the revocations heard. Every gossip message's claim is checked here
// against its signed sender (the libp2p signature names the peer; the message's own fields are
// only claims). With no operator key configured the site is open, as before grants existed:
// every member may do everything except publish an assignment in another master's name.
import type { Grant, GrantedRoles, PeerIdText, Revocation, ServerName } from "../core/types.ts";
import { grantProblem } from "./grant.ts";
import { revocationProblem } from "./revocation.ts";

/** Bounds on what peers can make this node hold. */
export const AUTHORITY_LIMITS = { grantsPerPeer: 8, revocations: 10_000 };

export interface Authority {
  /** Operator public keys; empty: the site runs open (no grants needed). */
  readonly trusted: ReadonlySet<string>;
  /** Each peer's valid, unrevoked grants, as it last presented them. */
  readonly grants: ReadonlyMap<PeerIdText, readonly Grant[]>;
  /** Revocations by grant id. */
  readonly revoked: ReadonlyMap<string, Revocation>;
}

export function authority(trusted: Iterable<string>): Authority {
  return { trusted: new Set(trusted), grants: new Map(), revoked: new Map() };
}

export const isOpen = (a: Authority) => a.trusted.size === 0;

/**
 * Takes the grants a peer presents (in its heartbeat): only its own, valid and unrevoked ones
 * count; the rest are returned as rejection reasons. `authority` is unchanged (the same object)
 * when the peer's valid grants did not change, so callers can skip work.
 */
export function withPresented(a: Authority, from: PeerIdText, presented: readonly Grant[], nowMs: number): { authority: Authority; rejected: string[] } {
  if (isOpen(a)) return { authority: a, rejected: [] };
  const rejected: string[] = [];
  const valid: Grant[] = [];
  for (const g of presented.slice(0, AUTHORITY_LIMITS.grantsPerPeer)) {
    const problem = g.peer !== from ? "grant-for-another-peer" : a.revoked.has(g.id) ? "grant-revoked" : grantProblem(g, a.trusted, nowMs);
    if (problem) rejected.push(problem);
    else valid.push(g);
  }
  if (presented.length > AUTHORITY_LIMITS.grantsPerPeer) rejected.push("grants-too-many");
  const before = a.grants.get(from) ?? [];
  if (before.length === valid.length && before.every((g, i) => g.id === valid[i]?.id)) return { authority: a, rejected };
  const grants = new Map(a.grants);
  if (valid.length) grants.set(from, valid);
  else grants.delete(from);
  return { authority: { ...a, grants }, rejected };
}

/** Adds operator-signed revocations; the revoked grants stop counting at once. */
export function withRevocations(a: Authority, incoming: readonly Revocation[]): { authority: Authority; added: Revocation[]; rejected: string[] } {
  const rejected: string[] = [];
  const added: Revocation[] = [];
  for (const r of incoming) {
    if (a.revoked.has(r.grant) || added.some((x) => x.grant === r.grant)) continue;
    const problem = revocationProblem(r, a.trusted);
    if (problem) rejected.push(problem);
    else if (a.revoked.size + added.length >= AUTHORITY_LIMITS.revocations) rejected.push("revocations-full");
    else added.push(r);
  }
  if (!added.length) return { authority: a, added, rejected };
  const revoked = new Map(a.revoked);
  for (const r of added) revoked.set(r.grant, r);
  const grants = new Map<PeerIdText, readonly Grant[]>();
  for (const [peer, gs] of a.grants) {
    const left = gs.filter((g) => !revoked.has(g.id));
    if (left.length) grants.set(peer, left);
  }
  return { authority: { ...a, revoked, grants }, added, rejected };
}

/**
 * The operator keys changed (SIGHUP): grants signed by a key no longer trusted stop counting at
 * once; grants by a new key count when their peer presents them next (every heartbeat). Revocations
 * stay: they only ever take away.
 */
export function withTrusted(a: Authority, keys: Iterable<string>, nowMs: number): Authority {
  const trusted = new Set(keys);
  const grants = new Map<PeerIdText, readonly Grant[]>();
  for (const [peer, gs] of a.grants) {
    const left = gs.filter((g) => !grantProblem(g, trusted, nowMs));
    if (left.length) grants.set(peer, left);
  }
  return { ...a, trusted, grants };
}

/** What a peer may do now: its unexpired grants' roles merged. */
export function permissions(a: Authority, peer: PeerIdText, nowMs: number): GrantedRoles {
  const roles: GrantedRoles = {};
  for (const g of a.grants.get(peer) ?? []) {
    if (nowMs >= g.expiresAtMs) continue;
    const r = g.roles;
    // Several grants with a priority: the most recent grant's word is the operator's current one.
    if (r.controller) roles.controller = r.controller;
    if (r.nameserver) roles.nameserver = { areas: [...new Set([...(roles.nameserver?.areas ?? []), ...r.nameserver.areas])] };
    if (r.reporter) roles.reporter = { servers: [...new Set([...(roles.reporter?.servers ?? []), ...r.reporter.servers])] };
    if (r.replicator) roles.replicator = true;
    if (r.drain) roles.drain = true;
  }
  return roles;
}

/** A message's claim, to be held against what its signer was granted. */
export type Claim =
  | { kind: "candidate"; priority: number }
  | { kind: "epoch" }
  | { kind: "assignment"; master: PeerIdText }
  | { kind: "report"; server: ServerName }
  | { kind: "drain"; issuer: PeerIdText }
  /** Records accepted from RFC 2136 updates: only a nameserver takes updates. */
  | { kind: "records" }
  /** The release every web server should serve: only the replicator announces it. */
  | { kind: "release" };

/** Why `from` may not make `claim`, or undefined when it may. */
export function refusal(a: Authority, from: PeerIdText, claim: Claim, nowMs: number): string | undefined {
  // Whatever the site's mode: an assignment speaks only for the peer that signed it.
  if (claim.kind === "assignment" && claim.master !== from) return "assignment-master-not-sender";
  if (isOpen(a)) return undefined;
  const p = permissions(a, claim.kind === "drain" ? claim.issuer : from, nowMs);
  switch (claim.kind) {
    case "candidate":
      if (!p.controller) return "priority-not-granted";
      return p.controller.priority === claim.priority ? undefined : "priority-not-as-granted";
    case "epoch":
    case "assignment":
      return p.controller ? undefined : "controller-not-granted";
    case "report":
      return p.reporter?.servers.includes(claim.server) ? undefined : "report-not-granted";
    case "drain":
      return p.drain ? undefined : "drain-not-granted";
    case "records":
      return p.nameserver ? undefined : "records-not-granted";
    case "release":
      return p.replicator ? undefined : "replicator-not-granted";
  }
}
