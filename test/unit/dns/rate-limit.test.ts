import { describe, expect, test } from "bun:test";
import { rateLimiter } from "../../../src/dns/rate-limit.ts";

describe("response-rate limit", () => {
  test("per /24: the first N per second answered, then every second one slips, the rest dropped", () => {
    const rl = rateLimiter({ perSecond: 3, ipv4Prefix: 24, ipv6Prefix: 56 });
    const verdicts = Array.from({ length: 7 }, (_, i) => rl.check(`192.0.2.${i + 1}`, 1000));
    expect(verdicts).toEqual(["answer", "answer", "answer", "drop", "slip", "drop", "slip"]);
    expect(rl.check("192.0.3.1", 1500)).toBe("answer"); // another /24
    expect(rl.check("192.0.2.200", 2000)).toBe("answer"); // a new second
  });
  test("IPv6 by /56, IPv4-mapped addresses as IPv4, unreadable sources answered", () => {
    const rl = rateLimiter({ perSecond: 1, ipv4Prefix: 24, ipv6Prefix: 56 });
    expect([rl.check("2001:db8:0:1::1", 0), rl.check("2001:db8:0:2::1", 0), rl.check("2001:db8:1::1", 0)]).toEqual(["answer", "drop", "answer"]);
    expect([rl.check("::ffff:198.51.100.1", 0), rl.check("198.51.100.2", 0)]).toEqual(["answer", "drop"]);
    expect(rl.check("not an address", 0)).toBe("answer");
  });
  test("the prefix table is bounded", () => {
    const rl = rateLimiter({ perSecond: 1, ipv4Prefix: 24, ipv6Prefix: 56, maxPrefixes: 10 });
    for (let i = 0; i < 10; i++) rl.check(`10.0.${i}.1`, 0);
    expect([rl.check("10.0.99.1", 0), rl.check("10.0.99.1", 0)]).toEqual(["answer", "answer"]);
    expect(rl.check("10.0.1.2", 0)).toBe("drop");
  });
});
