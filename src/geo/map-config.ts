// The location map's config: `location_map` entries and a `location_map_file` in [site].
// Validation is pure; the file's text comes from a reader the caller passes (config/load.ts).

import { resolve } from "node:path";
import type { ConfigError, Fields, Table } from "../core/fields.ts";
import { conflicts, parseEntry, parseMapText, type LocationEntry } from "./location-map.ts";

export const LOCATION_KEYS = ["location_map", "location_map_file"] as const;

/** Entries map client and resolver prefixes to areas; longest prefix wins. */
export interface LocationConfig {
  entries: LocationEntry[];
  /** Absolute path of the map file, when one is configured; its entries join `entries` on load. */
  file?: string;
}

/** Reads the [site] keys; the file itself is read by `withLocationFile`. */
export function validateLocations(f: Fields, site: Table, areas: ReadonlySet<string>, baseDir: string): LocationConfig {
  const entries: LocationEntry[] = [];
  let index = 0;
  f.strings(site, "site", "location_map", {
    default: [],
    expected: 'a list of "CIDR AREA" strings, such as ["192.0.2.0/24 east", "2001:db8::/32 west"]',
    each: (s) => {
      const key = `site.location_map[${index++}]`;
      const parsed = parseEntry(s, areas);
      if (typeof parsed === "string") return parsed;
      entries.push({ ...parsed, file: f.file, key });
      return undefined;
    },
  });
  const config: LocationConfig = { entries };
  if (site.location_map_file !== undefined)
    config.file = resolve(baseDir, f.string(site, "site", "location_map_file", { expected: 'a path to a file of "CIDR AREA" lines' }));
  // With a file, conflicts are checked once its entries have joined these.
  if (!config.file) f.errors.push(...conflicts(entries));
  return config;
}

/** Adds the map file's entries; every bad line and every conflicting prefix is an error. */
export function withLocationFile(c: LocationConfig, configFile: string, areas: ReadonlySet<string>, readText: (path: string) => string): ConfigError[] {
  if (!c.file) return [];
  let text: string;
  try {
    text = readText(c.file);
  } catch (err) {
    return [{ file: configFile, key: "site.location_map_file", value: JSON.stringify(c.file), expected: `a readable file (${(err as Error).message})` }];
  }
  const { entries, problems } = parseMapText(text, areas, c.file);
  c.entries.push(...entries);
  return [...problems, ...conflicts(c.entries)];
}
