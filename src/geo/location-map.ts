// The site's location map: client or resolver prefix → area, longest prefix wins. Parsed from
// "CIDR AREA" lines (the map file) or strings (the [site] config), then built into one trie per
// address family. Pure: the caller reads the file.

import { createHash } from "node:crypto";
import type { ConfigError } from "../core/fields.ts";
import type { AreaName } from "../core/types.ts";
import { ADDRESS_BITS, formatPrefix, parsePrefix, type Family, type Prefix } from "./address.ts";
import { PrefixTrie, type TrieMatch } from "./prefix-trie.ts";

export interface LocationEntry {
  prefix: Prefix;
  area: AreaName;
  /** Where it was written, for errors: the config or map file, and "site.location_map[2]" or "line 7". */
  file: string;
  key: string;
}

export interface MapLookup extends TrieMatch {
  /** The deciding entry's area, when one matched. */
  area: AreaName | undefined;
}

/** One "CIDR AREA" entry, or why it is not one. */
export function parseEntry(text: string, areas: ReadonlySet<string>): { prefix: Prefix; area: AreaName } | string {
  const words = text.trim().split(/\s+/);
  if (words.length !== 2 || !words[0] || !words[1]) return 'a prefix and an area separated by white space, such as "192.0.2.0/24 east"';
  const prefix = parsePrefix(words[0]);
  if (typeof prefix === "string") return prefix;
  if (!areas.has(words[1])) return `an area of the site (${[...areas].join(", ")}), not "${words[1]}"`;
  return { prefix, area: words[1] as AreaName };
}

/** A map file's text: one entry per line; "#" starts a comment; blank lines are skipped. */
export function parseMapText(text: string, areas: ReadonlySet<string>, file: string): { entries: LocationEntry[]; problems: ConfigError[] } {
  const entries: LocationEntry[] = [];
  const problems: ConfigError[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const key = `line ${i + 1}`;
    const parsed = parseEntry(line, areas);
    if (typeof parsed === "string") problems.push({ file, key, value: JSON.stringify(line), expected: parsed });
    else entries.push({ ...parsed, file, key });
  });
  return { entries, problems };
}

/** Entries naming the same prefix twice with different areas: overlaps are fine, ties are not. */
export function conflicts(entries: readonly LocationEntry[]): ConfigError[] {
  const seen = new Map<string, LocationEntry>();
  const problems: ConfigError[] = [];
  for (const e of entries) {
    const prefix = formatPrefix(e.prefix);
    const first = seen.get(prefix);
    if (!first) seen.set(prefix, e);
    else if (first.area !== e.area) {
      const there = first.file === e.file ? first.key : `${first.file} ${first.key}`;
      problems.push({
        file: e.file,
        key: e.key,
        value: JSON.stringify(`${prefix} ${e.area}`),
        expected: `one area per prefix (${there} maps it to ${first.area})`,
      });
    }
  }
  return problems;
}

export class LocationMap {
  /** Digest of the entries in canonical order: equal maps have equal versions wherever written. */
  readonly version: string;
  readonly size: number;
  /** The entries as "CIDR AREA" lines in canonical order: what the version digests, and what DNS workers are sent. */
  readonly lines: readonly string[];
  private readonly areas: AreaName[];
  private readonly tries: Record<Family, PrefixTrie>;

  constructor(entries: readonly LocationEntry[]) {
    this.areas = [...new Set(entries.map((e) => e.area))].sort();
    const index = new Map(this.areas.map((a, i) => [a, i]));
    this.lines = [...new Set(entries.map((e) => `${formatPrefix(e.prefix)} ${e.area}`))].sort();
    this.size = this.lines.length;
    this.version = this.size === 0 ? "none" : createHash("sha256").update(this.lines.join("\n")).digest("hex").slice(0, 12);
    const trie = (family: Family) =>
      new PrefixTrie(
        entries.filter((e) => e.prefix.family === family).map((e) => ({ bytes: e.prefix.bytes, length: e.prefix.length, value: index.get(e.area) ?? 0 })),
      );
    this.tries = { 4: trie(4), 6: trie(6) };
  }

  /** The longest prefix covering the first `bits` bits of an address (all of them by default). */
  lookup(family: Family, bytes: Uint8Array, bits: number = ADDRESS_BITS[family]): MapLookup {
    const m = this.tries[family].lookup(bytes, bits);
    return { value: m.value, matchedLength: m.matchedLength, uniformLength: m.uniformLength, area: m.value >= 0 ? this.areas[m.value] : undefined };
  }
}
