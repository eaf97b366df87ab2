// Which of an area's resolvers a spill share takes (issue 19): a hash of the client's prefix
// (the ECS subnet, else the resolver's /24 or /48), so every nameserver answers a given client
// the same way and the same clients move first and stay moved as a share grows. Pure.
import type { Family } from "./address.ts";

/** Bits hashed: one /24 or /48 is one network, and one cache entry of an ECS resolver (RFC 7871 §11.1). */
export const HASH_PREFIX_BITS: Record<Family, number> = { 4: 24, 6: 48 };

/**
 * FNV-1a over the family and the first `bits` of the address (the rest masked off), then a
 * murmur3 finaliser so nearby prefixes spread over the whole range. An unsigned 32-bit number.
 */
export function prefixHash(family: Family, bytes: Uint8Array, bits: number): number {
  let h = Math.imul(0x811c9dc5 ^ family, 0x01000193);
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193);
  const rest = bits & 7;
  if (rest) h = Math.imul(h ^ ((bytes[whole] ?? 0) & (0xff << (8 - rest)) & 0xff), 0x01000193);
  h = Math.imul(h ^ bits, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
