// RFC 2136 rules over the records updates may change; the messages are built with the same
// builder the Director uses (its output is what BIND, Knot and PowerDNS accept).
import { describe, expect, test } from "bun:test";
import { namePattern } from "../../../src/dns/update-config.ts";
import { buildUpdate, type Change, type Prerequisite } from "../../../src/dns/update-message.ts";
import { parseUpdate } from "../../../src/dns/update-parse.ts";
import { applyUpdate, dynamicKey, type DynamicRrset, type UpdateContext } from "../../../src/dns/update-rules.ts";

const APEX = "example.test";
const ACME = "_acme-challenge.example.test";
const held: DynamicRrset = { name: ACME, type: "TXT", ttl: 60, values: ["old"], atMs: 1, origin: "a" };
const ctx: UpdateContext = {
  apex: APEX,
  reserved: (n) => n === APEX || n === "www.example.test",
  allow: { names: [namePattern("_acme-challenge.*", APEX)], types: ["TXT"] },
  records: new Map([[dynamicKey(held), held]]),
  nowMs: 1000,
  origin: "me",
};
const txt = (data: string | string[], name = ACME) => ({ name, type: "TXT" as const, ttl: 60, data });
const run = (pre: Prerequisite[], changes: Change[], zone = APEX) => {
  const p = parseUpdate(buildUpdate(1, zone, pre, changes));
  if (!p.ok) throw new Error(p.error);
  return applyUpdate(p.update, ctx);
};

describe("update rules", () => {
  test("an add joins the RRset and sets its TTL; the change carries time and origin", () => {
    expect(run([], [{ kind: "add", rr: { ...txt("new"), ttl: 30 } }])).toEqual({
      rcode: "NOERROR",
      changed: [{ name: ACME, type: "TXT", ttl: 30, values: ["old", "new"], atMs: 1000, origin: "me" }],
    });
  });

  test("deleting one record, and the whole RRset", () => {
    expect(run([], [{ kind: "delete", rr: txt("old") }])).toMatchObject({ rcode: "NOERROR", changed: [{ values: [] }] });
    expect(run([], [{ kind: "delete-rrset", name: ACME, type: "TXT" }])).toMatchObject({ rcode: "NOERROR", changed: [{ values: [] }] });
  });

  test("an update that changes nothing is accepted with no change", () => {
    expect(run([], [{ kind: "add", rr: txt("old") }])).toEqual({ rcode: "NOERROR", changed: [] });
  });

  test.each([
    ["RRset equals what is held", [{ kind: "equals", records: [txt("old")] }], "NOERROR"],
    ["RRset equals something else", [{ kind: "equals", records: [txt("other")] }], "NXRRSET"],
    ["RRset absent while it exists", [{ kind: "absent", name: ACME, type: "TXT" }], "YXRRSET"],
    ["RRset absent at a free name", [{ kind: "absent", name: `_acme-challenge.x.${APEX}`, type: "TXT" }], "NOERROR"],
  ] as [string, Prerequisite[], string][])("prerequisite: %s → %s", (_what, pre, rcode) => {
    expect(run(pre, [{ kind: "add", rr: txt("new") }]).rcode as string).toBe(rcode);
  });

  test.each([
    ["another zone", [{ kind: "add", rr: txt("x") }], "other.test", "NOTAUTH"],
    ["a name outside the zone", [{ kind: "add", rr: txt("x", "_acme-challenge.other.test") }], APEX, "NOTZONE"],
    ["a reserved name", [{ kind: "add", rr: txt("x", "www.example.test") }], APEX, "REFUSED"],
    ["a name the key may not change", [{ kind: "add", rr: txt("x", "mail.example.test") }], APEX, "REFUSED"],
    ["a type the key may not change", [{ kind: "add", rr: { name: ACME, type: "A", ttl: 60, data: "192.0.2.1" } }], APEX, "REFUSED"],
    ["data longer than 512 bytes", [{ kind: "add", rr: txt(["x".repeat(200), "y".repeat(200), "z".repeat(200)]) }], APEX, "REFUSED"],
  ] as [string, Change[], string, string][])("%s → %s, and nothing changes", (_what, changes, zone, rcode) => {
    // A good change first: the bad one after it must still refuse the whole update.
    expect(run([], [{ kind: "add", rr: txt("fine") }, ...changes], zone).rcode as string).toBe(rcode);
  });

  test("a malformed message is a parse error, not a throw", () => {
    const bytes = buildUpdate(1, APEX, [], [{ kind: "add", rr: txt("x") }]);
    expect(parseUpdate(bytes.subarray(0, bytes.byteLength - 2)).ok).toBe(false);
  });

  test.each([
    [
      "_acme-challenge.*",
      ["_acme-challenge.example.test", "_acme-challenge.www.example.test"],
      ["example.test", "x_acme-challenge.example.test", "_acme-challenge.example.test.evil"],
    ],
    ["*.dyn", ["a.dyn.example.test", "a.b.dyn.example.test"], ["dyn.example.test"]],
    ["host", ["host.example.test"], ["a.host.example.test"]],
  ])("name pattern %s", (pattern, yes, no) => {
    const re = namePattern(pattern, APEX);
    expect(yes.filter((n) => !re.test(n))).toEqual([]);
    expect(no.filter((n) => re.test(n))).toEqual([]);
  });
});
