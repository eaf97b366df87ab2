// Response-rate limiting per client prefix (off unless [nameserver] rate_limit is set): a fixed
// one-second window of replies per /24 (IPv4) or /56 (IPv6). Over the limit a query is dropped,
// except every `slip`-th, which gets an empty truncated reply so a real client behind a spoofed
// flood still gets through over TCP. Pure: time is passed in.

import { parseAddress, truncate } from "../geo/address.ts";

export type RateVerdict = "answer" | "slip" | "drop";

export interface RateLimiterOptions {
  perSecond: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Every this-many limited query gets a TC reply instead of silence. */
  slip?: number;
  /** Prefixes tracked per window; beyond it new prefixes are answered (memory stays bounded). */
  maxPrefixes?: number;
}

export interface RateLimiter {
  check(source: string, nowMs: number): RateVerdict;
}

export function rateLimiter(o: RateLimiterOptions): RateLimiter {
  const slip = o.slip ?? 2;
  const maxPrefixes = o.maxPrefixes ?? 100_000;
  let windowSecond = -1;
  let counts = new Map<string, number>();
  return {
    check(source, nowMs) {
      const second = Math.floor(nowMs / 1000);
      if (second !== windowSecond) {
        windowSecond = second;
        counts = new Map();
      }
      const address = parseAddress(source);
      if (!address) return "answer";
      const key = truncate(address.bytes, address.family === 4 ? o.ipv4Prefix : o.ipv6Prefix).join(".");
      const seen = counts.get(key);
      if (seen === undefined && counts.size >= maxPrefixes) return "answer";
      const n = (seen ?? 0) + 1;
      counts.set(key, n);
      if (n <= o.perSecond) return "answer";
      return (n - o.perSecond) % slip === 0 ? "slip" : "drop";
    },
  };
}
