import { describe, expect, test } from "bun:test";
import { authority, permissions, refusal, withPresented, withRevocations, withTrusted, type Claim } from "../../../src/authority/authority.ts";
import { canonicalJson } from "../../../src/authority/canonical.ts";
import { describeGrant, signGrant } from "../../../src/authority/grant.ts";
import { newOperatorKey, operatorKeyProblem, operatorSigner, verifyOperator } from "../../../src/authority/operator-key.ts";
import { signRevocation } from "../../../src/authority/revocation.ts";
import { areaName, peerIdText, serverName, type Grant, type GrantBody } from "../../../src/core/types.ts";

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const op = operatorSigner(newOperatorKey().privateKeyPem);
const other = operatorSigner(newOperatorKey().privateKeyPem);
const EAST = peerIdText("12D3KooWEast");
const WEB = peerIdText("12D3KooWWeb");
const ROGUE = peerIdText("12D3KooWRogue");

const body = (over: Partial<GrantBody>): GrantBody => ({
  id: "g-east",
  peer: EAST,
  node: "east",
  roles: {},
  issuedAtMs: NOW - DAY,
  expiresAtMs: NOW + DAY,
  ...over,
});
const eastGrant = signGrant(body({ roles: { controller: { priority: 10 }, nameserver: { areas: [areaName("east")] }, drain: true } }), op);
const webGrant = signGrant(body({ id: "g-web", peer: WEB, node: "web-east-1", roles: { reporter: { servers: [serverName("web-east-1")] } } }), op);

const granted = () => {
  let a = authority([op.publicKey]);
  a = withPresented(a, EAST, [eastGrant], NOW).authority;
  return withPresented(a, WEB, [webGrant], NOW).authority;
};

describe("operator keys", () => {
  test("a key pair signs and verifies; another key or changed bytes do not", () => {
    const bytes = new TextEncoder().encode("hello");
    const sig = op.sign(bytes);
    expect(verifyOperator(op.publicKey, bytes, sig)).toBe(true);
    expect(verifyOperator(other.publicKey, bytes, sig)).toBe(false);
    expect(verifyOperator(op.publicKey, new TextEncoder().encode("hellp"), sig)).toBe(false);
    expect(verifyOperator(op.publicKey, bytes, "not-base64!")).toBe(false);
  });
  test.each([
    ["ed25519:AAAA", '"ed25519:" and 32 bytes in base64url'],
    ["rsa:abc", 'starting with "ed25519:"'],
  ])("%s is not a public key", (text, expected) => expect(operatorKeyProblem(text)).toContain(expected));
  test("a printed public key is accepted", () => expect(operatorKeyProblem(op.publicKey)).toBeUndefined());
  test("canonical JSON ignores key order and undefined fields", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: undefined }], c: "x" } })).toBe('{"a":{"c":"x","d":[1,{"z":0}]},"b":1}');
  });
});

describe("grants presented in heartbeats", () => {
  test("a valid own grant counts; it says what it grants", () => {
    const { authority: a, rejected } = withPresented(authority([op.publicKey]), EAST, [eastGrant], NOW);
    expect(rejected).toEqual([]);
    expect(permissions(a, EAST, NOW)).toEqual({ controller: { priority: 10 }, nameserver: { areas: [areaName("east")] }, drain: true });
    expect(describeGrant(eastGrant)).toContain("controller at priority 10; nameserver of east; drain and undrain servers");
  });
  const tampered: Grant = { ...webGrant, roles: { reporter: { servers: [serverName("web-east-1"), serverName("web-west-1")] } } };
  test.each([
    ["someone else's grant", ROGUE, [eastGrant], "grant-for-another-peer"],
    ["a grant signed by an unknown key", EAST, [signGrant(body({}), other)], "grant-unknown-key"],
    ["a grant whose roles were widened after signing", WEB, [tampered], "grant-bad-signature"],
    ["an expired grant", EAST, [signGrant(body({ expiresAtMs: NOW - 1 }), op)], "grant-expired"],
    ["a grant issued in the future", EAST, [signGrant(body({ issuedAtMs: NOW + DAY }), op)], "grant-not-yet-valid"],
  ] as const)("%s is refused", (_what, from, grants, reason) => {
    const r = withPresented(authority([op.publicKey]), from, grants, NOW);
    expect(r.rejected).toEqual([reason]);
    expect(r.authority.grants.size).toBe(0);
  });
  test("the same grants again leave the authority object as it was", () => {
    const a = granted();
    expect(withPresented(a, EAST, [eastGrant], NOW).authority).toBe(a);
  });
  test("an open site (no operator key) takes no grants and refuses only foreign assignments", () => {
    const a = authority([]);
    expect(withPresented(a, EAST, [eastGrant], NOW).authority.grants.size).toBe(0);
    expect(refusal(a, ROGUE, { kind: "candidate", priority: 1 }, NOW)).toBeUndefined();
    expect(refusal(a, ROGUE, { kind: "assignment", master: EAST }, NOW)).toBe("assignment-master-not-sender");
  });
});

describe("claims held against grants", () => {
  const table: [string, string, Claim, string | undefined][] = [
    ["the granted master's assignment", EAST, { kind: "assignment", master: EAST }, undefined],
    ["an assignment naming another master", ROGUE, { kind: "assignment", master: EAST }, "assignment-master-not-sender"],
    ["an assignment from a member without a controller grant", WEB, { kind: "assignment", master: WEB }, "controller-not-granted"],
    ["the granted priority", EAST, { kind: "candidate", priority: 10 }, undefined],
    ["a better priority than granted", EAST, { kind: "candidate", priority: 1 }, "priority-not-as-granted"],
    ["a priority from a reporter", WEB, { kind: "candidate", priority: 1 }, "priority-not-granted"],
    ["an epoch from a controller", EAST, { kind: "epoch" }, undefined],
    ["an epoch from a reporter", WEB, { kind: "epoch" }, "controller-not-granted"],
    ["a report for its own server", WEB, { kind: "report", server: serverName("web-east-1") }, undefined],
    ["a report for another server", WEB, { kind: "report", server: serverName("web-west-1") }, "report-not-granted"],
    ["a report from an ungranted member", ROGUE, { kind: "report", server: serverName("web-east-1") }, "report-not-granted"],
    ["a drain issued by a node granted to drain", ROGUE, { kind: "drain", issuer: EAST }, undefined],
    ["a drain issued by a reporter", WEB, { kind: "drain", issuer: WEB }, "drain-not-granted"],
    ["the site's release from a node not granted replicator", WEB, { kind: "release" }, "replicator-not-granted"],
  ];
  test.each(table)("%s", (_what, from, claim, expected) => expect(refusal(granted(), peerIdText(from), claim, NOW)).toBe(expected));
  test("a grant stops counting when it expires", () => {
    expect(refusal(granted(), EAST, { kind: "epoch" }, NOW + 2 * DAY)).toBe("controller-not-granted");
  });
});

describe("operator key rotation", () => {
  const next = operatorSigner(newOperatorKey().privateKeyPem);
  const byNext = signGrant(body({ id: "g-east-2", roles: { controller: { priority: 10 } } }), next);
  test("while both keys are listed, grants of either hold; once the old key is dropped, only the new one's", () => {
    const both = authority([op.publicKey, next.publicKey]);
    expect(withPresented(both, EAST, [eastGrant, byNext], NOW).rejected).toEqual([]);
    const after = withPresented(authority([next.publicKey]), EAST, [eastGrant, byNext], NOW);
    expect(after.rejected).toEqual(["grant-unknown-key"]);
    expect(permissions(after.authority, EAST, NOW)).toEqual({ controller: { priority: 10 } });
  });
});

describe("revocations", () => {
  test("a signed revocation withdraws the grant at once, and it cannot be presented again", () => {
    const rev = signRevocation({ grant: "g-web", atMs: NOW, reason: "host compromised" }, op);
    const r = withRevocations(granted(), [rev]);
    expect(r.added).toEqual([rev]);
    expect(refusal(r.authority, WEB, { kind: "report", server: serverName("web-east-1") }, NOW)).toBe("report-not-granted");
    expect(withPresented(r.authority, WEB, [webGrant], NOW).rejected).toEqual(["grant-revoked"]);
    expect(withRevocations(r.authority, [rev]).added).toEqual([]);
  });
  test("an unsigned, foreign or altered revocation changes nothing", () => {
    const a = granted();
    const forged = signRevocation({ grant: "g-east", atMs: NOW, reason: "x" }, other);
    const altered = { ...signRevocation({ grant: "g-web", atMs: NOW, reason: "x" }, op), grant: "g-east" };
    const r = withRevocations(a, [forged, altered]);
    expect(r.rejected).toEqual(["revocation-unknown-key", "revocation-bad-signature"]);
    expect(r.authority).toBe(a);
  });
});

describe("operator keys rotated (SIGHUP)", () => {
  test("a removed key's grants stop counting at once; a new key's count when presented; revocations stay", () => {
    const revoked = withRevocations(granted(), [signRevocation({ grant: "g-old", atMs: NOW, reason: "x" }, op)]).authority;
    const both = withTrusted(revoked, [op.publicKey, other.publicKey], NOW);
    expect(permissions(both, EAST, NOW).controller).toEqual({ priority: 10 });
    const newEast = signGrant(body({ id: "g-east-2", roles: { controller: { priority: 10 } } }), other);
    const regranted = withPresented(both, EAST, [newEast], NOW).authority;
    const onlyNew = withTrusted(regranted, [other.publicKey], NOW);
    expect(permissions(onlyNew, EAST, NOW).controller).toEqual({ priority: 10 });
    expect(refusal(onlyNew, WEB, { kind: "report", server: serverName("web-east-1") }, NOW)).toBe("report-not-granted");
    expect([...onlyNew.revoked.keys()]).toEqual(["g-old"]);
    expect(withPresented(onlyNew, WEB, [webGrant], NOW).rejected).toEqual(["grant-unknown-key"]);
  });
});
