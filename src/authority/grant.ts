// Grants: what the operator allows one node (by its peer id) to do, signed with the operator
// key. A node presents its own grants in its heartbeats; every other node checks the signature
// against the operator keys it is configured with and then holds the node to what was granted.
// Nothing a node claims for itself (a priority, a master's name, a server) counts without one.
import type { Grant, GrantBody, GrantedRoles } from "../core/types.ts";
import { signedBytes } from "./canonical.ts";
import { verifyOperator, type OperatorSigner } from "./operator-key.ts";

export const GRANT_LIMITS = { areas: 1000, servers: 10_000, text: 128 };

export function signGrant(body: GrantBody, signer: OperatorSigner): Grant {
  return { ...body, key: signer.publicKey, sig: signer.sign(signedBytes("grant", body)) };
}

export function grantBody(g: Grant): GrantBody {
  return { id: g.id, peer: g.peer, node: g.node, roles: g.roles, issuedAtMs: g.issuedAtMs, expiresAtMs: g.expiresAtMs };
}

/** Why the grant does not hold at `nowMs` (unknown key, bad signature, not yet valid, expired), or undefined. */
export function grantProblem(g: Grant, trusted: ReadonlySet<string>, nowMs: number): string | undefined {
  if (!trusted.has(g.key)) return "grant-unknown-key";
  if (!verifyOperator(g.key, signedBytes("grant", grantBody(g)), g.sig)) return "grant-bad-signature";
  if (nowMs >= g.expiresAtMs) return "grant-expired";
  // Clocks differ between the operator's machine and the hosts: a minute of slack.
  if (g.issuedAtMs > nowMs + 60_000) return "grant-not-yet-valid";
  return undefined;
}

/** A one-line account of a grant, for `walrus grant` and logs. */
export function describeGrant(g: GrantBody): string {
  return `node ${g.node} (peer ${g.peer}) may be: ${describeRoles(g.roles)}; valid until ${new Date(g.expiresAtMs).toISOString()}; grant ${g.id}`;
}

/** Granted roles in words ("nothing" for none). */
export function describeRoles(r: GrantedRoles): string {
  const parts = [
    r.controller && `controller at priority ${r.controller.priority}`,
    r.nameserver && `nameserver of ${r.nameserver.areas.join(", ")}`,
    r.reporter && `reporter for ${r.reporter.servers.join(", ")}`,
    r.replicator && "replicator",
    r.drain && "drain and undrain servers",
  ].filter(Boolean);
  return parts.join("; ") || "nothing";
}
