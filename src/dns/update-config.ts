// [nameserver] update_allow: who may change which records by RFC 2136 UPDATE (certificate
// clients putting their _acme-challenge TXT). Pure; called by validate.ts.

import { resolve } from "node:path";
import { DYNAMIC_TYPES, type Allowance, type DynamicType } from "./update-rules.ts";
import { isTable, type Fields, type Table } from "../core/fields.ts";

export interface UpdateAllowConfig extends Allowance {
  /** A TSIG key (HMAC-SHA256) as tsig-keygen or keymgr -t writes it; read when the node starts. */
  keyFile: string;
}

const PATTERN = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*(\.\*)?\.?$|^\*$/;
const EXPECTED_PATTERN = 'a name in the zone ("_acme-challenge" or absolute), "X.*" for X and X under any name in the zone, or "*.X" for any name under X';

export function validateUpdateAllow(f: Fields, ns: Table, zone: string, baseDir: string): UpdateAllowConfig[] | undefined {
  const raw = ns.update_allow;
  if (raw === undefined) return undefined;
  const p = "nameserver.update_allow";
  if (!Array.isArray(raw)) {
    f.fail(p, raw, "an array of tables with key_file, names and types");
    return [];
  }
  return raw.flatMap((v, i) => {
    const ip = `${p}[${i}]`;
    if (!isTable(v)) {
      f.fail(ip, v, "a table with key_file, names and types");
      return [];
    }
    f.known(v, ip, ["key_file", "names", "types"]);
    const keyFile = resolve(baseDir, f.string(v, ip, "key_file", { expected: "a path to a TSIG key file (tsig-keygen -a hmac-sha256 NAME)" }));
    const names = f
      .strings(v, ip, "names", { nonEmpty: true, each: (s) => (PATTERN.test(s.toLowerCase()) ? undefined : EXPECTED_PATTERN) })
      .map((s) => namePattern(s, zone));
    const types = f.strings(v, ip, "types", {
      default: ["TXT"],
      nonEmpty: true,
      each: (s) => ((DYNAMIC_TYPES as readonly string[]).includes(s) ? undefined : `one of ${DYNAMIC_TYPES.join(", ")}`),
    }) as DynamicType[];
    return [{ keyFile, names, types }];
  });
}

/** "_acme-challenge.*" → _acme-challenge.<zone> and _acme-challenge.<any>.<zone>; "*.x" → anything under x. */
export function namePattern(pattern: string, zone: string): RegExp {
  const esc = (s: string) => s.replace(/[.]/g, "\\.");
  const label = "[a-z0-9_-]+";
  let p = pattern.toLowerCase().replace(/\.$/, "");
  const under = p.startsWith("*.");
  const anywhere = p.endsWith(".*");
  if (under) p = p.slice(2);
  if (anywhere) p = p.slice(0, -2);
  if (p === "*") return new RegExp(`^(${label}\\.)*${esc(zone)}$`);
  const qualified = p === zone || p.endsWith(`.${zone}`) || anywhere ? p : `${p}.${zone}`;
  const tail = anywhere ? `${esc(qualified)}(\\.${label})*\\.${esc(zone)}` : esc(qualified);
  return new RegExp(`^${under ? `(${label}\\.)+` : ""}${tail}$`);
}
