import { describe, expect, test } from "bun:test";
import { areaName } from "../../../src/core/types.ts";
import { locationChooser } from "../../../src/geo/choose-area.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";

const AREAS = [areaName("east"), areaName("west"), areaName("north")];
const MAP = new LocationMap(parseMapText("198.51.100.0/24 west\n203.0.113.0/24 north\n2001:db8::/32 north\n", new Set(AREAS), "map").entries);
const ecsOption = (...data: number[]) => ({ code: 8, data: new Uint8Array(data) });

function chooser() {
  const counts = new SteeringCounts(AREAS);
  return { counts, choose: locationChooser(() => MAP, areaName("east"), counts) };
}

describe("the per-query hook", () => {
  test("no ECS in the query: no ECS in the reply", () => {
    const { choose, counts } = chooser();
    expect(choose({ options: [], source: "198.51.100.7" })).toEqual({ area: areaName("west"), clientHash: expect.any(Number) });
    expect(choose({ options: [{ code: 10, data: new Uint8Array(8) }], source: "::ffff:203.0.113.9" })).toEqual({
      area: areaName("north"),
      clientHash: expect.any(Number),
    });
    expect(choose({ options: [], source: "192.0.2.1" })).toEqual({ area: areaName("east"), clientHash: expect.any(Number) });
    expect(counts.snapshot().byArea).toEqual({
      east: { ecs: 0, resolver: 0, learned: 0, fallback: 1 },
      west: { ecs: 0, resolver: 1, learned: 0, fallback: 0 },
      north: { ecs: 0, resolver: 1, learned: 0, fallback: 0 },
    });
  });

  test("ECS echoed with family, source prefix and address unchanged; scope for steered answers, 0 for the rest", () => {
    const { choose } = chooser();
    const c = choose({ options: [ecsOption(0, 1, 24, 0, 203, 0, 113)], source: "198.51.100.7" });
    expect(c.area as string).toBe("north");
    expect(c.options?.map((o) => [o.code, [...o.data]])).toEqual([[8, [0, 1, 24, 24, 203, 0, 113]]]);
    expect(c.unsteeredOptions?.map((o) => [o.code, [...o.data]])).toEqual([[8, [0, 1, 24, 0, 203, 0, 113]]]);
  });

  test("source prefix 0 is echoed with scope 0", () => {
    const { choose } = chooser();
    const c = choose({ options: [ecsOption(0, 2, 0, 0)], source: "198.51.100.7" });
    expect(c.area as string).toBe("west");
    expect(c.options?.map((o) => [...o.data])).toEqual([[0, 2, 0, 0]]);
  });

  test("IPv6 ECS", () => {
    const { choose } = chooser();
    const c = choose({ options: [ecsOption(0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1)], source: "192.0.2.1" });
    expect(c.area as string).toBe("north");
    expect(c.options?.map((o) => [...o.data])).toEqual([[0, 2, 48, 32, 0x20, 0x01, 0x0d, 0xb8, 0, 1]]);
  });

  test("a malformed or repeated ECS option: FORMERR, counted by reason", () => {
    const { choose, counts } = chooser();
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 203, 0)], source: "198.51.100.7" }).formerr).toBe(true);
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 203, 0, 113), ecsOption(0, 1, 24, 0, 203, 0, 113)], source: "198.51.100.7" }).formerr).toBe(true);
    expect(counts.snapshot().malformed).toEqual({ "ecs-address-length": 1, "ecs-repeated": 1 });
  });

  test("without a source address (an in-process caller), ECS still decides, else the own area", () => {
    const { choose } = chooser();
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 198, 51, 100)] }).area as string).toBe("west");
    expect(choose({ options: [] }).area as string).toBe("east");
  });

  test("remembered decisions never leak between resolvers or past a malformed option", () => {
    const { choose, counts } = chooser();
    const missing = ecsOption(0, 1, 24, 0, 192, 0, 2);
    // The client is outside the map, so each resolver's own address decides, every time.
    for (let i = 0; i < 3; i++) {
      expect(choose({ options: [missing], source: "198.51.100.7" }).area as string).toBe("west");
      expect(choose({ options: [missing], source: "203.0.113.7" }).area as string).toBe("north");
    }
    // A valid option, then the same bytes with one address byte too many: still FORMERR.
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 203, 0, 113)], source: "192.0.2.1" }).area as string).toBe("north");
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 203, 0, 113, 0)], source: "192.0.2.1" }).formerr).toBe(true);
    expect(choose({ options: [ecsOption(0, 1, 24, 0, 203, 0, 113)], source: "192.0.2.1" }).area as string).toBe("north");
    expect(counts.snapshot().byArea.north).toEqual({ ecs: 2, resolver: 3, learned: 0, fallback: 0 });
  });
});

describe("the per-query hook with a learned map", () => {
  test("a new learned snapshot takes effect on the next query from a remembered source", () => {
    const counts = new SteeringCounts(AREAS);
    let learned = new LocationMap([]);
    const choose = locationChooser(
      () => MAP,
      areaName("east"),
      counts,
      () => learned,
    );
    expect(choose({ options: [], source: "192.0.2.1" }).area as string).toBe("east");
    learned = new LocationMap(parseMapText("192.0.2.0/24 north\n", new Set(AREAS), "learned").entries);
    expect(choose({ options: [], source: "192.0.2.1" }).area as string).toBe("north");
    expect(counts.snapshot().byArea.north).toEqual({ ecs: 0, resolver: 0, learned: 1, fallback: 0 });
  });
});

describe("the per-query hook when a site document changes the map", () => {
  test("the new map decides the next query, for a remembered source and a remembered ECS option alike", () => {
    let map = MAP;
    const choose = locationChooser(() => map, areaName("east"), new SteeringCounts(AREAS));
    const ecs = ecsOption(0, 1, 24, 0, 198, 51, 100);
    expect(choose({ options: [], source: "198.51.100.7" }).area as string).toBe("west");
    expect(choose({ options: [ecs], source: "192.0.2.1" }).area as string).toBe("west");
    map = new LocationMap(parseMapText("198.51.100.0/24 north\n", new Set(AREAS), "map").entries);
    expect(choose({ options: [], source: "198.51.100.7" }).area as string).toBe("north");
    expect(choose({ options: [ecs], source: "192.0.2.1" }).area as string).toBe("north");
  });
});
