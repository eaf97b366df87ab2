// Config I/O: read and parse the TOML file, then hand the table to the pure validator.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { parseGrantsFile } from "../authority/grants-file.ts";
import { withLocationFile } from "../geo/map-config.ts";
import { formatConfigError, type ConfigError } from "../core/fields.ts";
import type { NodeConfig } from "./types.ts";
import { validate } from "./validate.ts";

export type Loaded = { ok: true; config: NodeConfig } | { ok: false; errors: ConfigError[] };

/** `readGrants: false` for `walrus id`, which runs before the node has a grant. */
export function loadConfig(path: string, o: { readGrants?: boolean } = {}): Loaded {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return { ok: false, errors: [{ file, key: "(file)", value: path, expected: `a readable file (${(err as Error).message})` }] };
  }
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? `line ${err.line}, column ${err.column}` : "(syntax)";
    const why = (err as Error).message.split("\n")[0] ?? "";
    return { ok: false, errors: [{ file, key: where, value: "(syntax)", expected: `valid TOML: ${why}` }] };
  }
  return finish(raw, file, o);
}

/**
 * This node's config with another [site] table (a site document's): the node's own file read
 * again and validated whole with the document's table in place of its own (the secret's and the
 * DNSSEC keys' paths stay the node's), so a document that does not fit this node (its area gone, say) is refused.
 */
export function configWithSite(config: NodeConfig, siteTable: Readonly<Record<string, unknown>>): Loaded {
  let raw: Record<string, unknown>;
  try {
    raw = parse(readFileSync(config.file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, errors: [{ file: config.file, key: "(file)", value: config.file, expected: `a readable TOML file (${(err as Error).message})` }] };
  }
  const own = (raw.site ?? {}) as Record<string, unknown>;
  const paths = { secret_file: own.secret_file, ...(own.dnssec_keys !== undefined && { dnssec_keys: own.dnssec_keys }) };
  return finish({ ...raw, site: { ...siteTable, ...paths } }, config.file, {});
}

function finish(raw: Record<string, unknown>, file: string, o: { readGrants?: boolean }): Loaded {
  const v = validate(raw, file, dirname(file));
  if (!v.ok) return v;
  const areas = new Set<string>(v.config.site.areas.map((a) => a.name));
  const errors = withLocationFile(v.config.locations, file, areas, (p) => readFileSync(p, "utf8"));
  const grantsFile = v.config.node.grantsFile;
  if (grantsFile && o.readGrants !== false) {
    try {
      const g = parseGrantsFile(readFileSync(grantsFile, "utf8"), grantsFile);
      v.config.grants = g.grants;
      errors.push(...g.errors);
    } catch (err) {
      errors.push({ file, key: "node.grants_file", value: JSON.stringify(grantsFile), expected: `a readable file (${(err as Error).message})` });
    }
  }
  return errors.length ? { ok: false, errors } : v;
}

export function formatErrors(errors: ConfigError[]): string {
  return errors.map(formatConfigError).join("\n");
}

/** The site's shared secret: anything from 16 bytes up; surrounding white space is ignored. */
export function readSecret(path: string): { ok: true; secret: Uint8Array } | { ok: false; error: string } {
  try {
    const text = readFileSync(path, "utf8").trim();
    if (text.length < 16) return { ok: false, error: `${path}: the site secret is shorter than 16 characters; make one with \`walrus keygen > ${path}\`` };
    return { ok: true, secret: new TextEncoder().encode(text) };
  } catch (err) {
    return { ok: false, error: `${path}: cannot read the site secret (${(err as Error).message}); make one with \`walrus keygen > ${path}\`` };
  }
}
