import { describe, expect, test } from "bun:test";
import { parseAddress } from "../../../src/geo/address.ts";
import { conflicts, LocationMap, parseEntry, parseMapText } from "../../../src/geo/location-map.ts";
import { PrefixTrie } from "../../../src/geo/prefix-trie.ts";

const AREAS = new Set(["east", "west", "north"]);

function mapOf(lines: string): LocationMap {
  const { entries, problems } = parseMapText(lines, AREAS, "map.txt");
  expect(problems).toEqual([]);
  return new LocationMap(entries);
}

function find(map: LocationMap, address: string, bits?: number): unknown[] {
  const a = parseAddress(address);
  if (!a) throw new Error(address);
  const m = map.lookup(a.family, a.bytes, bits);
  return [m.area ?? null, m.matchedLength, m.uniformLength];
}

describe("map text", () => {
  test("entries, comments, blank lines, both families", () => {
    const { entries, problems } = parseMapText("# resolvers\n10.0.0.0/8 east\n\n  2001:db8::/32\twest   # v6\n", AREAS, "map.txt");
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.prefix.family, e.prefix.length, e.area, e.file, e.key])).toEqual([
      [4, 8, "east", "map.txt", "line 2"],
      [6, 32, "west", "map.txt", "line 4"],
    ]);
  });

  test("each bad line is named with what was expected", () => {
    const { entries, problems } = parseMapText("10.0.0.0/8 east\n10.0.0.1/8 east\n10.0.0.0/8 south\n10.0.0.0/8\n10.0.0.0/8 east west\n", AREAS, "map.txt");
    expect(entries.length).toBe(1);
    expect(problems.map((p) => [p.file, p.key])).toEqual([2, 3, 4, 5].map((n) => ["map.txt", `line ${n}`]));
    expect(problems[0]?.expected).toContain("10.0.0.0/8");
    expect(problems[1]?.expected).toContain('not "south"');
    expect(problems[2]?.expected).toContain("a prefix and an area");
  });

  test("the same prefix for two areas is a conflict; overlaps and repeats are not", () => {
    const { entries } = parseMapText("10.0.0.0/8 east\n10.1.0.0/16 west\n10.0.0.0/8 east\n10.0.0.0/8 north\n", AREAS, "map.txt");
    const c = conflicts(entries);
    expect(c.map((p) => [p.file, p.key, p.value])).toEqual([["map.txt", "line 4", '"10.0.0.0/8 north"']]);
    expect(c[0]?.expected).toContain("line 1 maps it to east");
  });

  test("parseEntry is the same rule for config strings", () => {
    expect(typeof parseEntry("192.0.2.0/24 east", AREAS)).toBe("object");
    expect(parseEntry("192.0.2.0/24", AREAS)).toContain("a prefix and an area");
  });
});

describe("longest prefix lookups", () => {
  const map = mapOf(`
    10.0.0.0/8 east
    10.1.0.0/16 west
    10.1.2.0/24 north
    10.1.2.128/25 east
    192.0.2.7/32 north
    2001:db8::/32 west
    2001:db8:aa00::/40 north
  `);

  test.each([
    ["10.200.0.1", "east", 8, 9], // the /8 minus the /16 inside it is ragged; 10.128.0.0/9 is uniform
    ["10.1.200.1", "west", 16, 17],
    ["10.1.2.3", "north", 24, 25],
    ["10.1.2.200", "east", 25, 25],
    ["192.0.2.7", "north", 32, 32],
    ["11.0.0.1", null, 0, 8],
    ["2001:db8:1::1", "west", 32, 33],
    ["2001:db8:aa01::1", "north", 40, 40],
    ["2001:db9::1", null, 0, 32],
  ] as const)("%s → %s", (address, area, matched, uniform) => {
    expect(find(map, address)).toEqual([area, matched, uniform]);
  });

  test("10.200.0.1's uniform block really is uniform, and one bit wider is not", () => {
    // The block the lookup reports: every address in it gets the same answer.
    expect(find(map, "10.128.0.0")[0]).toBe("east");
    expect(find(map, "10.255.255.255")[0]).toBe("east");
    // One bit wider, 10.0.0.0/8, holds 10.1.0.0/16, which differs.
    expect(find(map, "10.1.0.1")[0]).toBe("west");
  });

  test("a lookup limited to the source prefix ignores longer entries", () => {
    // A /24 from ECS that holds a /25 of another area: decided by the /24 at /24 resolution.
    expect(find(map, "10.1.2.0", 24)).toEqual(["north", 24, 24]);
    expect(find(map, "10.1.0.0", 12)).toEqual(["east", 8, 12]);
    expect(find(map, "10.0.0.0", 0)).toEqual([null, 0, 0]);
  });

  test("a /0 entry catches everything of its family only", () => {
    const m = mapOf("0.0.0.0/0 north\n10.0.0.0/8 east\n");
    expect(find(m, "203.0.113.9")).toEqual(["north", 0, 1]);
    expect(find(m, "2001:db8::1")).toEqual([null, 0, 0]);
  });

  test("an empty map matches nothing and has version none", () => {
    const m = new LocationMap([]);
    expect(m.version).toBe("none");
    expect(find(m, "10.0.0.1")).toEqual([null, 0, 0]);
  });
});

describe("version", () => {
  test("equal maps written in any order have one version; any change makes another", () => {
    const a = mapOf("10.0.0.0/8 east\n2001:db8::/32 west\n");
    const b = mapOf("# same\n2001:db8::/32   west\n10.0.0.0/8 east\n10.0.0.0/8 east\n");
    const c = mapOf("10.0.0.0/8 north\n2001:db8::/32 west\n");
    expect(a.version).toMatch(/^[0-9a-f]{12}$/);
    expect(b.version).toBe(a.version);
    expect(c.version).not.toBe(a.version);
  });
});

describe("trie against a linear scan", () => {
  test("10,000 random entries, 3,000 random addresses: the same longest match", () => {
    // Seeded so a failure can be replayed.
    let seed = 7;
    const rand32 = () => (seed = (seed * 1103515245 + 12345) >>> 0) ^ (seed >>> 16);
    const mask = (length: number) => (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);
    const entries = Array.from({ length: 10_000 }, (_, value) => {
      const length = 8 + (rand32() % 17);
      return { n: (((10 << 24) | (rand32() & 0xffffff)) & mask(length)) >>> 0, length, value };
    });
    const bytes = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const trie = new PrefixTrie(entries.map((e) => ({ bytes: bytes(e.n), length: e.length, value: e.value })));
    for (let i = 0; i < 3_000; i++) {
      const address = ((10 << 24) | (rand32() & 0xffffff)) >>> 0;
      let bestLength = 0;
      for (const e of entries) if (e.length > bestLength && (address & mask(e.length)) >>> 0 === e.n) bestLength = e.length;
      const m = trie.lookup(bytes(address), 32);
      expect(m.matchedLength).toBe(bestLength);
      if (m.value >= 0) expect((address & mask(m.matchedLength)) >>> 0 === entries[m.value]?.n).toBe(true);
    }
  });
});
