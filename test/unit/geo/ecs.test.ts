import { describe, expect, test } from "bun:test";
import { decodeEcs, encodeEcs } from "../../../src/geo/ecs.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("ECS option decoding (RFC 7871 §6)", () => {
  test("IPv4 /24", () => {
    const d = decodeEcs(bytes(0, 1, 24, 0, 192, 0, 2));
    expect(d.ok && d.ecs).toEqual({ family: 4, sourcePrefixLength: 24, scopePrefixLength: 0, address: bytes(192, 0, 2) });
  });

  test("IPv4 /20: three octets, the last one's low bits zero", () => {
    const d = decodeEcs(bytes(0, 1, 20, 0, 198, 51, 96));
    expect(d.ok && [...d.ecs.address]).toEqual([198, 51, 96]);
  });

  test("IPv6 /56", () => {
    const d = decodeEcs(bytes(0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0xab));
    expect(d.ok && d.ecs.family).toBe(6);
    expect(d.ok && [...d.ecs.address]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0xab]);
  });

  test("source prefix 0: no address bytes at all, for either family", () => {
    for (const family of [1, 2]) {
      const d = decodeEcs(bytes(0, family, 0, 0));
      expect(d.ok && [d.ecs.sourcePrefixLength, d.ecs.address.byteLength]).toEqual([0, 0]);
    }
  });

  test("full-length prefixes", () => {
    expect(decodeEcs(bytes(0, 1, 32, 0, 10, 1, 2, 3)).ok).toBe(true);
    expect(decodeEcs(new Uint8Array([0, 2, 128, 0, ...new Array(16).fill(0xff)])).ok).toBe(true);
  });

  test("a scope sent in a query is kept as sent (it says nothing; the reply sets its own)", () => {
    const d = decodeEcs(bytes(0, 1, 24, 16, 192, 0, 2));
    expect(d.ok && d.ecs.scopePrefixLength).toBe(16);
  });

  test.each([
    ["shorter than its fixed part", bytes(0, 1, 24), "ecs-short"],
    ["empty", bytes(), "ecs-short"],
    ["unknown family 3", bytes(0, 3, 0, 0), "ecs-family"],
    ["family 0", bytes(0, 0, 0, 0), "ecs-family"],
    ["family 257 (high byte counts)", bytes(1, 1, 0, 0), "ecs-family"],
    ["IPv4 source prefix 33", bytes(0, 1, 33, 0, 1, 2, 3, 4, 5), "ecs-source-prefix"],
    ["IPv6 source prefix 129", new Uint8Array([0, 2, 129, 0, ...new Array(17).fill(0)]), "ecs-source-prefix"],
    ["too few address bytes", bytes(0, 1, 24, 0, 192, 0), "ecs-address-length"],
    ["too many address bytes", bytes(0, 1, 24, 0, 192, 0, 2, 0), "ecs-address-length"],
    ["address bytes with source prefix 0", bytes(0, 1, 0, 0, 0), "ecs-address-length"],
    ["a bit set past the source prefix", bytes(0, 1, 23, 0, 192, 0, 3), "ecs-address-bits"],
    ["an IPv6 bit set past /56", bytes(0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0xab, 1), "ecs-address-length"],
    ["an IPv6 bit set past /52", bytes(0, 2, 52, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0xab), "ecs-address-bits"],
  ])("malformed: %s", (_, data, reason) => {
    expect(decodeEcs(data)).toEqual({ ok: false, reason });
  });
});

describe("ECS option encoding", () => {
  test("family, source prefix and address as the query sent them; our scope", () => {
    const q = decodeEcs(bytes(0, 1, 22, 0, 198, 51, 100));
    if (!q.ok) throw new Error(q.reason);
    expect([...encodeEcs(q.ecs, 16)]).toEqual([0, 1, 22, 16, 198, 51, 100]);
  });

  test("IPv6 and prefix 0 round trip", () => {
    for (const data of [bytes(0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 7), bytes(0, 2, 0, 0), bytes(0, 1, 0, 0)]) {
      const q = decodeEcs(data);
      if (!q.ok) throw new Error(q.reason);
      const out = encodeEcs(q.ecs, 0);
      expect([...out]).toEqual([...data]);
      expect(decodeEcs(out).ok).toBe(true);
    }
  });
});
