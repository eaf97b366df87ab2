import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatConfigError } from "../../../src/core/fields.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { LocationMap } from "../../../src/geo/location-map.ts";

const dir = mkdtempSync(join(tmpdir(), "wecs-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A nameserver-only node with the given [site] location keys and, optionally, a map file. */
function load(siteLines: string, mapText?: string) {
  if (mapText !== undefined) writeFileSync(join(dir, "map.txt"), mapText);
  const file = join(dir, "node.toml");
  writeFileSync(
    file,
    `[node]
name = "ns-east"
state_dir = "state"
listen = ["/ip4/127.0.0.1/tcp/50190"]

[nameserver]
area = "east"
listen = ["127.0.0.1:50191"]

[site]
zone = "example.test"
names = ["www"]
secret_file = "site.secret"
${siteLines}

[site.areas.east]
nameserver_addresses = ["192.0.2.53"]

[site.areas.west]
nameserver_addresses = ["198.51.100.53"]

[site.servers.web-east]
area = "east"
addresses = ["192.0.2.10"]

[site.servers.web-west]
area = "west"
addresses = ["198.51.100.10"]
`,
  );
  return loadConfig(file);
}

describe("location map config", () => {
  test("no map: empty, and the map version says so", () => {
    const r = load("");
    expect(r.ok && r.config.locations.entries).toEqual([]);
    expect(r.ok && new LocationMap(r.config.locations.entries).version).toBe("none");
  });

  test("entries in [site] and in a file join into one map", () => {
    const r = load(
      'location_map = ["10.0.0.0/8 east", "2001:db8::/32 west"]\nlocation_map_file = "map.txt"',
      "# comment\n10.1.0.0/16 west\n\n2001:db8:1::/48 east # inline comment\n",
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.config.locations.entries.map((e) => `${e.key}: ${e.area}`)).toEqual([
      "site.location_map[0]: east",
      "site.location_map[1]: west",
      "line 2: west",
      "line 4: east",
    ]);
    const map = new LocationMap(r.config.locations.entries);
    expect(map.size).toBe(4);
    expect(map.lookup(4, new Uint8Array([10, 1, 2, 3])).area as string).toBe("west");
  });

  // Each row: [site] lines, map file text, and the errors expected as "file: key = value: expected" fragments.
  const rejected: [string, string, string | undefined, string[]][] = [
    [
      "a bad prefix in [site]",
      'location_map = ["10.0.0.0/33 east"]',
      undefined,
      ['node.toml: site.location_map[0] = "10.0.0.0/33 east": expected a prefix length from 0 to 32'],
    ],
    [
      "an unknown area in [site]",
      'location_map = ["10.0.0.0/8 east", "10.1.0.0/16 south"]',
      undefined,
      ['site.location_map[1] = "10.1.0.0/16 south": expected an area of the site (east, west), not "south"'],
    ],
    ["not a list", 'location_map = "10.0.0.0/8 east"', undefined, ['site.location_map = "10.0.0.0/8 east": expected a list of "CIDR AREA" strings']],
    [
      "the same prefix for two areas",
      'location_map = ["10.0.0.0/8 east", "10.0.0.0/8 west"]',
      undefined,
      ['site.location_map[1] = "10.0.0.0/8 west": expected one area per prefix (site.location_map[0] maps it to east)'],
    ],
    [
      "host bits in the file, named by file and line",
      'location_map_file = "map.txt"',
      "10.0.0.0/8 east\n10.1.2.3/16 west\n",
      ['map.txt: line 2 = "10.1.2.3/16 west": expected no address bits set after the first 16 (the network is 10.1.0.0/16)'],
    ],
    [
      "every bad line at once",
      'location_map_file = "map.txt"',
      "10.0.0.0/8 mars\nnonsense\n2001:db8::/32 west extra\n",
      ["map.txt: line 1 =", "map.txt: line 2 =", "map.txt: line 3 ="],
    ],
    [
      "a conflict between [site] and the file",
      'location_map = ["10.0.0.0/8 east"]\nlocation_map_file = "map.txt"',
      "10.0.0.0/8 west\n",
      ['map.txt: line 1 = "10.0.0.0/8 west": expected one area per prefix (', "node.toml site.location_map[0] maps it to east)"],
    ],
    ["a missing file", 'location_map_file = "absent.txt"', undefined, ["node.toml: site.location_map_file =", "absent.txt", "expected a readable file"]],
  ];
  test.each(rejected)("rejects %s", (_, site, mapText, fragments) => {
    const r = load(site, mapText);
    expect(r.ok).toBe(false);
    const text = r.ok ? "" : r.errors.map(formatConfigError).join("\n");
    for (const f of fragments) expect(text).toContain(f);
  });
});
