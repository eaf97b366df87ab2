import { describe, expect, test } from "bun:test";
import { formatAddress, formatPrefix, parseAddress, parsePrefix, truncate, zeroAfter } from "../../../src/geo/address.ts";

describe("addresses", () => {
  test.each([
    ["192.0.2.1", 4, "192.0.2.1"],
    ["0.0.0.0", 4, "0.0.0.0"],
    ["2001:db8::1", 6, "2001:db8::1"],
    ["2001:DB8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"],
    ["::", 6, "::"],
    ["::1", 6, "::1"],
    ["fe80::", 6, "fe80::"],
    ["2001:db8:1:2:3:4:5:6", 6, "2001:db8:1:2:3:4:5:6"],
    ["2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1"],
    ["64:ff9b::192.0.2.33", 6, "64:ff9b::c000:221"],
    // A dual-stack socket reports IPv4 peers this way; the map keys them as IPv4.
    ["::ffff:10.1.2.3", 4, "10.1.2.3"],
  ] as const)("%s", (text, family, shown) => {
    const a = parseAddress(text);
    expect(a?.family).toBe(family);
    expect(a && formatAddress(a)).toBe(shown);
  });

  test.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.-4",
    "2001:db8:::1",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8",
    "12345::",
    "g::1",
    "::1.2.3",
  ])("rejects %p", (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe("prefixes", () => {
  test.each([
    ["10.0.0.0/8", 4, 8],
    ["192.0.2.128/25", 4, 25],
    ["0.0.0.0/0", 4, 0],
    ["192.0.2.1/32", 4, 32],
    ["2001:db8::/32", 6, 32],
    ["2001:db8:0:ff00::/56", 6, 56],
    ["::/0", 6, 0],
  ] as const)("%s", (text, family, length) => {
    const p = parsePrefix(text);
    if (typeof p === "string") throw new Error(p);
    expect([p.family, p.length, formatPrefix(p)]).toEqual([family, length, text]);
  });

  test.each([
    ["192.0.2.0", "with its length"],
    ["192.0.2.0/33", "from 0 to 32"],
    ["2001:db8::/129", "from 0 to 128"],
    ["192.0.2.0/", "from 0 to 32"],
    ["192.0.2.0/2a", "from 0 to 32"],
    ["192.0.2.0/-1", "from 0 to 32"],
    ["192.0.2.300/24", "an IPv4 address"],
    ["2001:db8::zz/48", "an IPv6 address"],
    // Host bits are most often a typo for a different network: say which network it would be.
    ["192.0.2.1/24", "the network is 192.0.2.0/24"],
    ["2001:db8::1/64", "the network is 2001:db8::/64"],
  ])("rejects %s", (text, why) => {
    const p = parsePrefix(text);
    expect(typeof p).toBe("string");
    expect(p as string).toContain(why);
  });

  test("truncate and zeroAfter agree at every length", () => {
    const bytes = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    for (let length = 0; length <= 32; length++) {
      const t = truncate(bytes, length);
      expect(zeroAfter(t, length)).toBe(true);
      expect(zeroAfter(bytes, length)).toBe(length === 32);
      expect(t.reduce((n, b) => n + b.toString(2).replace(/0/g, "").length, 0)).toBe(length);
    }
  });
});
