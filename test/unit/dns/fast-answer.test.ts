// The hot path must give the very bytes reply() gives, for every query it takes: the fuzzer's
// packets and well-formed queries of every kind, with rotation, EDNS, DO, RD/CD, 0x20 case and
// ECS steering through a location map.

import { describe, expect, test } from "bun:test";
import { fuzzPacket } from "../../../scripts/fuzz-dns-cases.ts";
import { reply, type AnswerContext } from "../../../src/dns/answer.ts";
import { fastAnswer } from "../../../src/dns/fast-answer.ts";
import type { Zone } from "../../../src/dns/zone.ts";
import { locationChooser } from "../../../src/geo/choose-area.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";
import { seededRandom } from "../../../src/sim/prng.ts";
import { crowdedZone, EAST, fixtureSigning, fixtureSite, fixtureZone, NORTH, WEST } from "./site-fixture.ts";

const NAMES = [
  "www.example.test",
  "WwW.ExAmple.TEST",
  "example.test",
  "www.area-east.example.test",
  "www.area-west.example.test",
  "nope.example.test",
  "other.test",
];
const ZONES: [string, Zone][] = [
  ["addresses", fixtureZone()],
  ["cname", fixtureZone({ site: fixtureSite({ answerScheme: "cname" }) })],
  ["crowded (over 512 bytes)", crowdedZone(40)],
  ["signed", fixtureZone({ dnssec: fixtureSigning() })],
  ["signed cname", fixtureZone({ site: fixtureSite({ answerScheme: "cname" }), dnssec: fixtureSigning() })],
];
const MAP_TEXT = "198.51.100.0/24 west\n203.0.113.0/24 north\n2001:db8:100::/40 north\n";
const SOURCES = ["198.51.100.7", "192.0.2.1", "203.0.113.9", "2001:db8:100::5", "::1"];
const chooser = () =>
  locationChooser(() => new LocationMap(parseMapText(MAP_TEXT, new Set([EAST, WEST, NORTH]), "map").entries), EAST, new SteeringCounts([EAST, WEST, NORTH]));

/** A query built by hand: name (case kept), type, flags, and optionally OPT with options. */
function query(rand: () => number, name: string, type: number, opt?: { size: number; doBit: boolean; options: [number, number[]][] }): Uint8Array {
  const id = Math.floor(rand() * 65536);
  const flags = (rand() < 0.5 ? 0x0100 : 0) | (rand() < 0.3 ? 0x0010 : 0);
  const qname = [...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
  const bytes = [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, opt ? 1 : 0, ...qname, type >> 8, type & 0xff, 0, 1];
  if (opt) {
    const rdata = opt.options.flatMap(([code, data]) => [code >> 8, code & 0xff, data.length >> 8, data.length & 0xff, ...data]);
    bytes.push(0, 0, 41, opt.size >> 8, opt.size & 0xff, 0, 0, opt.doBit ? 0x80 : 0, 0, rdata.length >> 8, rdata.length & 0xff, ...rdata);
  }
  return Uint8Array.from(bytes);
}

const ECS_OPTIONS: [number, number[]][][] = [
  [],
  [[8, [0, 1, 24, 0, 198, 51, 100]]], // west by the map
  [[8, [0, 1, 24, 0, 203, 0, 113]]], // north
  [[8, [0, 1, 16, 0, 10, 9]]], // uncovered
  [[8, [0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00]]], // IPv6, north
  [[8, [0, 1, 0, 0]]], // source prefix 0
  [[8, [0, 1, 24, 0, 198, 51]]], // malformed: too few address bytes
  [[10, [1, 2, 3, 4, 5, 6, 7, 8]]], // a cookie, not echoed
  [
    [8, [0, 1, 24, 0, 198, 51, 100]],
    [8, [0, 1, 24, 0, 198, 51, 100]],
  ], // ECS twice: FORMERR
];

/** Compares fastAnswer with reply() for each query; returns how many the fast path took. */
function compare(zone: Zone, queries: readonly Uint8Array[], steering: boolean, udpSize = 1232): number {
  const out = new Uint8Array(udpSize + 64);
  const fastChoose = steering ? chooser() : undefined;
  const slowChoose = steering ? chooser() : undefined;
  let taken = 0;
  queries.forEach((q, i) => {
    const source = SOURCES[i % SOURCES.length];
    const rotation = i * 7;
    // The query sits in a bigger buffer holding stale bytes, as in a reused receive buffer.
    const buffer = new Uint8Array(q.byteLength + 32).fill(0xc0);
    buffer.set(q);
    const n = fastAnswer(buffer, q.byteLength, zone, { rotation, udpSize, chooseArea: fastChoose, source }, out);
    const ctx: AnswerContext = { transport: "udp", rotation, source, udpSize, chooseArea: slowChoose };
    const slow = reply(q, zone, ctx);
    if (n < 0) return;
    taken++;
    expect({ i, bytes: [...out.subarray(0, n)] }).toEqual({ i, bytes: [...(slow?.bytes ?? [])] });
  });
  return taken;
}

describe("fastAnswer gives reply()'s bytes", () => {
  for (const [label, zone] of ZONES) {
    test(`fuzzer packets, ${label} zone`, () => {
      const rand = seededRandom(1313);
      const packets = Array.from({ length: 20_000 }, () => fuzzPacket(rand, NAMES));
      compare(zone, packets, false);
      compare(zone, packets, true);
    });

    test(`well-formed queries of every kind, ${label} zone`, () => {
      const rand = seededRandom(4242);
      const queries: Uint8Array[] = [];
      for (const name of NAMES) {
        for (const type of [1, 28, 5, 2, 6, 15, 16, 255, 252]) {
          queries.push(query(rand, name, type));
          for (const size of [0, 512, 1232, 4096])
            for (const options of ECS_OPTIONS) queries.push(query(rand, name, type, { size, doBit: rand() < 0.5, options }));
        }
      }
      const plain = compare(zone, queries, false);
      const steered = compare(zone, queries, true);
      // The balanced name's A/AAAA answers are the fast path's whole point: it must take them.
      if (label === "crowded (over 512 bytes)") expect(plain).toBeGreaterThan(0);
      else expect(Math.min(plain, steered)).toBeGreaterThan(50);
    });
  }

  test("a reply that would not fit the buffer or the client's size goes to reply()", () => {
    const rand = seededRandom(7);
    const zone = crowdedZone(40);
    const q = query(rand, "www.example.test", 1);
    expect(fastAnswer(q, q.byteLength, zone, { rotation: 0, udpSize: 1232 }, new Uint8Array(1500))).toBe(-1); // over 512 without EDNS: TC from reply()
    const big = query(rand, "www.example.test", 1, { size: 1232, doBit: false, options: [] });
    expect(fastAnswer(big, big.byteLength, zone, { rotation: 0, udpSize: 1232 }, new Uint8Array(100))).toBe(-1);
    expect(fastAnswer(big, big.byteLength, zone, { rotation: 0, udpSize: 1232 }, new Uint8Array(1500))).toBeGreaterThan(512);
  });
});
