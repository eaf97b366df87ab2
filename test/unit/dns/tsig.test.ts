// TSIG against itself here; against BIND and Knot (our requests accepted, their replies
// verified) in test/integration/director.test.ts.
import { describe, expect, test } from "bun:test";
import { encode } from "dns-packet";
import { parseKeyFile, tsigSign, tsigVerify, type TsigKey } from "../../../src/dns/tsig.ts";
import { buildUpdate, updateOutcome } from "../../../src/dns/update-message.ts";

const key: TsigKey = { name: "walrus", secret: new Uint8Array(Buffer.from("6YleVpayPdsIn+VdN7n19v7uAIRMMAxYGsXaeb9oz6U=", "base64")) };
const keys = new Map([[key.name, key]]);
const NOW = 1_800_000_000;
const update = buildUpdate(
  0x1234,
  "area-east.example.test",
  [{ kind: "absent", name: "www.area-east.example.test", type: "A" }],
  [{ kind: "add", rr: { name: "www.area-east.example.test", type: "A", ttl: 20, data: "192.0.2.1" } }],
);

describe("tsig", () => {
  test("a signed message verifies, and verifying gives back the message as it was", () => {
    const signed = tsigSign(update, key, NOW);
    const v = tsigVerify(signed.bytes, keys, NOW + 10);
    expect(v.ok && [v.keyName, Buffer.from(v.unsigned).equals(Buffer.from(update))]).toEqual(["walrus", true]);
  });

  test("a reply is checked against the request's MAC", () => {
    const request = tsigSign(update, key, NOW);
    const reply = tsigSign(new Uint8Array(encode({ id: 0x1234, type: "response", opcode: "UPDATE" } as Parameters<typeof encode>[0])), key, NOW, request.mac);
    expect(tsigVerify(reply.bytes, keys, NOW, request.mac).ok).toBe(true);
    expect(tsigVerify(reply.bytes, keys, NOW, new Uint8Array(32)).ok).toBe(false);
  });

  test.each([
    ["one byte changed", (b: Uint8Array) => b.map((x, i) => (i === 20 ? x ^ 1 : x)), keys, NOW, "BADSIG"],
    ["another secret", (b: Uint8Array) => b, new Map([["walrus", { name: "walrus", secret: new Uint8Array(32) }]]), NOW, "BADSIG"],
    ["a key not known", (b: Uint8Array) => b, new Map(), NOW, "BADKEY"],
    ["clock 301 s ahead", (b: Uint8Array) => b, keys, NOW + 301, "BADTIME"],
    ["cut short", (b: Uint8Array) => b.subarray(0, b.byteLength - 3), keys, NOW, "FORMERR"],
  ] as const)("%s → %s", (_what, tamper, known, now, error) => {
    const bytes = tamper(tsigSign(update, key, NOW).bytes);
    const v = tsigVerify(bytes, known as ReadonlyMap<string, TsigKey>, now);
    expect(v.ok ? "ok" : v.error).toBe(error);
  });

  test("an unsigned message is told apart", () => {
    expect(tsigVerify(update, keys, NOW)).toMatchObject({ ok: false, error: "UNSIGNED" });
  });

  test("key files as tsig-keygen and keymgr -t write them", () => {
    const bind = parseKeyFile('key "walrus." {\n\talgorithm hmac-sha256;\n\tsecret "6YleVpayPdsIn+VdN7n19v7uAIRMMAxYGsXaeb9oz6U=";\n};\n');
    const knot = parseKeyFile(
      "# hmac-sha256:walrus:6YleVpayPdsIn+VdN7n19v7uAIRMMAxYGsXaeb9oz6U=\nkey:\n  - id: walrus\n    algorithm: hmac-sha256\n    secret: 6YleVpayPdsIn+VdN7n19v7uAIRMMAxYGsXaeb9oz6U=\n",
    );
    expect(bind).toEqual({ ok: true, key });
    expect(knot).toEqual({ ok: true, key });
    expect(parseKeyFile('key "k" { algorithm hmac-md5; secret "6YleVpayPdsIn+VdN7n19v7uAIRMMAxYGsXaeb9oz6U="; };')).toMatchObject({
      ok: false,
      expected: expect.stringContaining("hmac-md5 is not supported"),
    });
    expect(parseKeyFile("secret")).toMatchObject({ ok: false });
  });
});

describe("update outcome", () => {
  const reply = (rcode: number, opcode = 5, id = 7) => new Uint8Array([0, id, 0x80 | (opcode << 3), rcode, 0, 0, 0, 0, 0, 0, 0, 0]);
  test.each([
    [reply(0), "NOERROR"],
    [reply(5), "REFUSED"],
    [reply(8), "NXRRSET"],
    [reply(9), "NOTAUTH"],
    [reply(0, 0), "NOT-A-REPLY-TO-THE-UPDATE"],
    [reply(0, 5, 8), "WRONG-ID"],
    [new Uint8Array(3), "FORMERR"],
  ])("%#: %s", (bytes, outcome) => {
    expect(updateOutcome(bytes, 7, "update")).toBe(outcome);
  });
});
