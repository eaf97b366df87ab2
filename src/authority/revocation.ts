// Revocations: the operator's signed word that a grant no longer holds (a host compromised or
// retired). Gossiped, persisted by every node and carried in heartbeats, so a node that was down
// when it was issued still learns it; a revoked grant stays revoked until it expires anyway.
import { signedBytes } from "./canonical.ts";
import type { Revocation, RevocationBody } from "../core/types.ts";
import { verifyOperator, type OperatorSigner } from "./operator-key.ts";

export function signRevocation(body: RevocationBody, signer: OperatorSigner): Revocation {
  return { ...body, key: signer.publicKey, sig: signer.sign(signedBytes("revocation", body)) };
}

export function revocationProblem(r: Revocation, trusted: ReadonlySet<string>): string | undefined {
  if (!trusted.has(r.key)) return "revocation-unknown-key";
  if (!verifyOperator(r.key, signedBytes("revocation", { grant: r.grant, atMs: r.atMs, reason: r.reason }), r.sig)) return "revocation-bad-signature";
  return undefined;
}
