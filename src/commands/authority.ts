// The operator's commands for authority: make the operator key, learn a node's peer id, issue
// and revoke grants. Signing happens here, on the machine that holds the operator key; nodes
// only ever see public keys, grants and revocations.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describeGrant, signGrant } from "../authority/grant.ts";
import { newOperatorKey, operatorSigner, type OperatorSigner } from "../authority/operator-key.ts";
import { signRevocation } from "../authority/revocation.ts";
import { areaName, peerIdText, serverName, type GrantedRoles, type Revocation } from "../core/types.ts";
import { isPeerId } from "../net/peer-keys.ts";

const DAY_MS = 86_400_000;

/** Writes a new operator key to `out` (0600, never over an existing file); returns the public key line. */
export function makeOperatorKey(out: string): string {
  if (existsSync(out)) throw new Error(`${out} exists; an operator key is never overwritten (move it away first)`);
  const k = newOperatorKey();
  writeFileSync(out, k.privateKeyPem, { mode: 0o600, flag: "wx" });
  return k.publicKey;
}

export function loadSigner(path: string): OperatorSigner {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the operator key ${path} (${(err as Error).message}); make one with \`walrus keygen --operator --out ${path}\``);
  }
  try {
    return operatorSigner(text);
  } catch (err) {
    throw new Error(`${path} is not an operator key: ${(err as Error).message}`);
  }
}

export interface GrantArgs {
  key: string;
  peer: string;
  node: string;
  controller?: number;
  nameserver: string[];
  reporter: string[];
  replicator: boolean;
  drain: boolean;
  days: number;
}

/** A signed grant as one JSON line, and what it grants in words. */
export function issueGrant(a: GrantArgs, nowMs: number): { line: string; summary: string } {
  if (!isPeerId(a.peer)) throw new Error(`"${a.peer}" is not a peer id; \`walrus id --config NODE.toml\` on the node prints its own`);
  const roles: GrantedRoles = {};
  if (a.controller !== undefined) roles.controller = { priority: a.controller };
  if (a.nameserver.length) roles.nameserver = { areas: a.nameserver.map(areaName) };
  if (a.reporter.length) roles.reporter = { servers: a.reporter.map(serverName) };
  if (a.replicator) roles.replicator = true;
  if (a.drain) roles.drain = true;
  if (!Object.keys(roles).length) throw new Error("a grant with no role grants nothing: give --controller, --nameserver, --reporter, --replicator or --drain");
  const body = { id: randomBytes(8).toString("hex"), peer: peerIdText(a.peer), node: a.node, roles, issuedAtMs: nowMs, expiresAtMs: nowMs + a.days * DAY_MS };
  const grant = signGrant(body, loadSigner(a.key));
  return { line: JSON.stringify(grant), summary: `grant: ${describeGrant(grant)}` };
}

export function issueRevocation(key: string, grant: string, reason: string, nowMs: number): Revocation {
  return signRevocation({ grant, atMs: nowMs, reason }, loadSigner(key));
}
