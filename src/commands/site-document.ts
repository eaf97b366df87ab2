// The operator's commands for the site document: read a [site] file, sign it as the next version,
// print it and what a file would change. Signing happens here, on the machine with the operator
// key; the node judges the document again (signature, version, its own config) before adopting it.
import { readFileSync } from "node:fs";
import { parse, stringify } from "smol-toml";
import { signSiteDocument } from "../authority/site-document.ts";
import { configWithSite, formatErrors } from "../config/load.ts";
import type { NodeConfig } from "../config/types.ts";
import type { SiteShown } from "../control/protocol.ts";
import type { SiteDocument } from "../core/types.ts";
import { loadSigner } from "./authority.ts";

/** The [site] table of a file, without the host-local paths (secret_file, dnssec_keys); throws with what is wrong. */
export function readSiteTable(path: string): Record<string, unknown> {
  let raw: Record<string, unknown>;
  try {
    raw = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: not a readable TOML file (${(err as Error).message.split("\n")[0]})`);
  }
  const site = raw.site;
  if (typeof site !== "object" || site === null || Array.isArray(site)) throw new Error(`${path}: no [site] table`);
  const { secret_file: _secret, dnssec_keys: _keys, ...table } = site as Record<string, unknown>;
  return table;
}

/**
 * Signs `path`'s [site] as the next version (its own `version`, or one above the node's), after
 * checking it the way the node will: against the node's whole config.
 */
export function signSiteFile(path: string, keyFile: string, config: NodeConfig, running: SiteShown): SiteDocument {
  const table = readSiteTable(path);
  const version = table.version === undefined ? running.version + 1 : table.version;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version <= running.version)
    throw new Error(
      `${path}: [site] version = ${String(table.version)} is not above the node's ${running.version}; leave it out to push version ${running.version + 1}`,
    );
  const site = { ...table, version };
  const checked = configWithSite(config, site);
  if (!checked.ok) throw new Error(`${path} does not fit ${config.file}:\n${formatErrors(checked.errors)}`);
  return signSiteDocument({ version, site }, loadSigner(keyFile));
}

/** The document as TOML, with who signed it. */
export function formatSite(s: SiteShown): string {
  const head = `# site document version ${s.version}; ${s.key ? `signed by ${s.key}` : "the node's own file (no document pushed yet)"}\n`;
  return head + stringify({ site: s.site });
}

/** What `next` changes against `current`, one "key = value" line per leaf: "-" gone, "+" new. */
export function siteDiff(current: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): string[] {
  const a = new Set(leaves(current, "site"));
  const b = new Set(leaves(next, "site"));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)].sort(
    (x, y) => x.slice(2).localeCompare(y.slice(2)) || x.localeCompare(y),
  );
}

function leaves(v: unknown, path: string): string[] {
  if (typeof v === "object" && v !== null && !Array.isArray(v))
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leaves(x, `${path}.${k}`));
  return [`${path} = ${JSON.stringify(v)}`];
}
