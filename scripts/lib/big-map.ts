// A 10,000-entry location map for the benchmarks (scripts/bench-ecs.ts, scripts/bench-dns.ts):
// seeded, so two runs measure the same map; it holds the benchmarks' resolver (198.51.100.0/24,
// west) and ECS client (203.0.113.0/24, north).

import { areaName, type AreaName } from "../../src/core/types.ts";
import type { Family } from "../../src/geo/address.ts";
import { LocationMap, type LocationEntry } from "../../src/geo/location-map.ts";

const ENTRIES = 10_000;

/** Seeded, so two runs measure the same map. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** 10,000 distinct prefixes: 8,998 random IPv4 ones (/12–/24), 1,000 random IPv6 ones (/24–/48), and the benchmark's own resolver and client. */
export function bigMap(areas: readonly AreaName[]): LocationMap {
  const rand = random(42);
  const seen = new Set<string>();
  const entries: LocationEntry[] = [];
  const add = (family: Family, bytes: Uint8Array, length: number) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) & (0xff << (8 - Math.min(8, Math.max(0, length - 8 * i)))) & 0xff;
    const key = `${bytes.join(".")}/${length}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ prefix: { family, bytes, length }, area: areas[entries.length % areas.length]!, file: "bench", key });
  };
  while (entries.length < ENTRIES - 1_002)
    add(
      4,
      Uint8Array.from({ length: 4 }, () => Math.floor(rand() * 256)),
      12 + Math.floor(rand() * 13),
    );
  while (entries.length < ENTRIES - 2)
    add(
      6,
      Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? 0x20 : Math.floor(rand() * 256))),
      24 + Math.floor(rand() * 25),
    );
  entries.push(entryOf([198, 51, 100, 0], "west"), entryOf([203, 0, 113, 0], "north"));
  return new LocationMap(entries);
}

function entryOf(bytes: number[], area: string): LocationEntry {
  return { prefix: { family: 4, bytes: new Uint8Array(bytes), length: 24 }, area: areaName(area), file: "bench", key: area };
}
