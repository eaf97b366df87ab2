import { describe, expect, test } from "bun:test";
import { areaName } from "../../../src/core/types.ts";
import { parseAddress, type Address } from "../../../src/geo/address.ts";
import { decodeEcs, type ClientSubnet } from "../../../src/geo/ecs.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { steer } from "../../../src/geo/steer.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";

const OWN = areaName("east");
const { entries } = parseMapText(
  `
  198.51.100.0/24 west      # a resolver farm
  203.0.113.0/24 north      # clients
  203.0.113.128/26 west
  10.0.0.0/8 north
  10.20.0.0/16 west
  10.20.30.0/28 east
  2001:db8:100::/40 north
  2001:db8:100:ab00::/56 west
  2001:db8::/32 west
`,
  new Set(["east", "west", "north"]),
  "map",
);
const MAP = new LocationMap(entries);

const addr = (s: string): Address =>
  parseAddress(s) ??
  (() => {
    throw new Error(s);
  })();

function ecs(family: 1 | 2, source: number, ...address: number[]): ClientSubnet {
  const d = decodeEcs(new Uint8Array([0, family, source, 0, ...address]));
  if (!d.ok) throw new Error(d.reason);
  return d.ecs;
}

const decide = (e: ClientSubnet | undefined, resolver: string | undefined): unknown[] => {
  const s = steer(MAP, e, resolver === undefined ? undefined : addr(resolver), OWN);
  return [s.area, s.by, s.scope];
};

describe("the answer rule", () => {
  test("no ECS: the resolver's address decides, scope 0", () => {
    expect(decide(undefined, "198.51.100.53")).toEqual(["west", "resolver", 0]);
    expect(decide(undefined, "2001:db8:100:ab00::53")).toEqual(["west", "resolver", 0]);
    expect(decide(undefined, "2001:db8:100:ac00::53")).toEqual(["north", "resolver", 0]);
  });

  test("no ECS and a resolver the map does not cover: this nameserver's own area", () => {
    const s = steer(MAP, undefined, addr("192.0.2.53"), OWN);
    expect([s.area as string, s.by, s.scope]).toEqual(["east", "fallback", 0]);
    expect(s.uncovered).toEqual(addr("192.0.2.53"));
  });

  test("ECS decides over the resolver, scope = the deciding entry's length", () => {
    expect(decide(ecs(1, 24, 203, 0, 113), "198.51.100.53")).toEqual(["north", "ecs", 24]);
    expect(decide(ecs(1, 24, 198, 51, 100), "203.0.113.53")).toEqual(["west", "ecs", 24]);
    // The /40 holds a /56 of west starting 2001:db8:100:ab00::, one bit away at bit 40.
    expect(decide(ecs(2, 56, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0xab, 0x00), "198.51.100.53")).toEqual(["north", "ecs", 41]);
  });

  test("a scope never claims more than the block the answer holds for", () => {
    // 203.0.113.0/24 north holds a /26 of west: /24 would make the resolver give north's answer to west's clients.
    expect(decide(ecs(1, 32, 203, 0, 113, 5), "198.51.100.53")).toEqual(["north", "ecs", 24]);
    // 10.0.0.0/8 holds 10.20.0.0/16: a client at 10.9.x.x is in the uniform 10.0.0.0/12.
    expect(decide(ecs(1, 24, 10, 9, 9), "198.51.100.53")).toEqual(["north", "ecs", 12]);
    // 10.20.0.0/16 holds 10.20.30.0/28; a client at 10.20.200.x is in the uniform 10.20.128.0/17.
    expect(decide(ecs(1, 24, 10, 20, 200), undefined)).toEqual(["west", "ecs", 17]);
  });

  test("scope is at most /24 for IPv4 and /56 for IPv6", () => {
    expect(decide(ecs(1, 32, 10, 20, 30, 1), "198.51.100.53")).toEqual(["east", "ecs", 24]);
    expect(decide(ecs(2, 64, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0xab, 0x00), "198.51.100.53")).toEqual(["west", "ecs", 56]);
    expect(decide(ecs(2, 48, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00), "198.51.100.53")).toEqual(["north", "ecs", 48]);
    expect(decide(ecs(2, 56, 0x20, 0x01, 0x0d, 0xb8, 0x7f, 0x00, 0x00), undefined)).toEqual(["west", "ecs", 34]);
  });

  test("source prefix 0: the client asked not to be located, so the resolver decides with scope 0", () => {
    expect(decide(ecs(1, 0), "198.51.100.53")).toEqual(["west", "resolver", 0]);
    expect(decide(ecs(2, 0), "203.0.113.9")).toEqual(["north", "resolver", 0]);
  });

  test("ECS outside the map: the resolver decides, scoped to the uncovered block around the client", () => {
    const [area, by, scope] = decide(ecs(1, 24, 192, 0, 2), "198.51.100.53");
    expect([area, by]).toEqual(["west", "resolver"]);
    // 192/8 shares its first bit with nothing in the map but 198.51.100/24 and 203.0.113/24 (both 11…),
    // which part from 192 at bit 5: the block 192.0.0.0/6 holds no entry, so the miss holds for all of it.
    expect(scope).toBe(6);
    for (const probe of ["192.0.0.0", "195.255.255.255", "193.1.2.3"]) expect(MAP.lookup(4, addr(probe).bytes).area).toBeUndefined();
    expect(MAP.lookup(4, addr("198.51.100.1").bytes).area).toBe(areaName("west"));
  });

  test("ECS and resolver both outside the map: own area, and the resolver is noted", () => {
    const s = steer(MAP, ecs(1, 24, 192, 0, 2), addr("192.0.2.53"), OWN);
    expect([s.area as string, s.by]).toEqual(["east", "fallback"]);
    expect(s.uncovered).toBeDefined();
  });

  test("no map entries: the thesis' behaviour exactly", () => {
    const empty = new LocationMap([]);
    const s = steer(empty, ecs(1, 24, 203, 0, 113), addr("198.51.100.53"), OWN);
    expect([s.area as string, s.by, s.scope]).toEqual(["east", "fallback", 0]);
  });
});

describe("the learned map (issue 18)", () => {
  const LEARNED = new LocationMap(parseMapText("192.0.2.0/24 north\n198.51.100.0/24 north\n", new Set(["east", "west", "north"]), "learned").entries);
  test("answers for a resolver the hand-made map does not cover, and still lists it as uncovered", () => {
    const s = steer(MAP, undefined, addr("192.0.2.9"), OWN, LEARNED);
    expect([s.area as string, s.by]).toEqual(["north", "learned"]);
    expect(s.uncovered).toEqual(addr("192.0.2.9"));
  });
  test("the hand-made map wins where it has an entry, and ECS before both", () => {
    expect(steer(MAP, undefined, addr("198.51.100.1"), OWN, LEARNED).by).toBe("resolver");
    const s = steer(MAP, ecs(1, 24, 203, 0, 113), addr("192.0.2.9"), OWN, LEARNED);
    expect([s.area as string, s.by]).toEqual(["north", "ecs"]);
  });
});

describe("steering counts", () => {
  test("per area and how; uncovered resolvers grouped by /24 and /48, most frequent first", () => {
    const counts = new SteeringCounts([areaName("east"), areaName("west"), areaName("north")]);
    const run = (e: ClientSubnet | undefined, r: string) => counts.count(steer(MAP, e, addr(r), OWN));
    run(ecs(1, 24, 203, 0, 113), "198.51.100.1");
    run(undefined, "198.51.100.1");
    run(undefined, "192.0.2.1");
    run(undefined, "192.0.2.200");
    run(undefined, "2001:db9:1:2::1");
    const snap = counts.snapshot();
    expect(snap.byArea).toEqual({
      east: { ecs: 0, resolver: 0, learned: 0, fallback: 3 },
      west: { ecs: 0, resolver: 1, learned: 0, fallback: 0 },
      north: { ecs: 1, resolver: 0, learned: 0, fallback: 0 },
    });
    expect(snap.uncovered).toEqual([
      { prefix: "192.0.2.0/24", queries: 2, address: "192.0.2.200" },
      { prefix: "2001:db9:1::/48", queries: 1, address: "2001:db9:1:2::1" },
    ]);
  });

  test("uncovered prefixes stay bounded and a frequent one survives a flood of new ones", () => {
    const counts = new SteeringCounts([OWN]);
    for (let i = 0; i < 50; i++) counts.count(steer(MAP, undefined, addr("192.0.2.1"), OWN));
    for (let i = 0; i < 5000; i++) counts.count(steer(MAP, undefined, addr(`172.${16 + ((i >> 8) % 16)}.${i & 255}.1`), OWN));
    const snap = counts.snapshot(1000);
    expect(snap.uncovered.length).toBeLessThanOrEqual(256);
    expect(snap.uncovered[0]).toEqual({ prefix: "192.0.2.0/24", queries: 50, address: "192.0.2.1" });
  });

  test("a worker's counts add into the parent's by difference between its snapshots", () => {
    const parent = new SteeringCounts([OWN]);
    const worker = new SteeringCounts([OWN]);
    const empty = worker.snapshot(256);
    worker.count(steer(MAP, undefined, addr("192.0.2.1"), OWN));
    worker.countMalformed("ecs-family");
    const first = worker.snapshot(256);
    parent.addDelta(first, empty);
    worker.count(steer(MAP, undefined, addr("192.0.2.9"), OWN));
    worker.count(steer(MAP, undefined, addr("198.51.100.1"), OWN));
    parent.addDelta(worker.snapshot(256), first);
    expect(parent.snapshot()).toEqual(worker.snapshot());
  });
});
