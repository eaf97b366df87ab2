// A short digest that names the site: nodes announce it, and one whose digest differs is left out.
// With operator keys the site is named by its zone alone (and that it runs with grants), not its
// contents or its keys: the contents change by signed, versioned documents and the keys rotate
// (both listed, then the old one removed) while nodes on two versions keep cooperating; what a
// key may do is judged per message by the keys each node trusts. An open site has no documents,
// so there the contents are the name.
import { createHash } from "node:crypto";
import type { Site } from "../core/types.ts";

/** The secret's and the keys' paths are left out: hosts may keep them in different places; whether the zone is signed is kept in. */
export function siteDigest(site: Site, operatorKeys: readonly string[]): string {
  const hash = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
  if (operatorKeys.length) return hash({ zone: site.zone, grants: true });
  const { secretFile: _path, dnssecKeys, version: _version, records, ...rest } = site;
  return hash({
    ...rest,
    // As written: the parsed form is this version's business, not the site's name.
    ...(records ? { records: records.map(({ rdata: _parsed, ...written }) => written) } : {}),
    ...(dnssecKeys ? { dnssec: true } : {}),
    areas: [...rest.areas].sort((a, b) => a.name.localeCompare(b.name)),
    servers: [...rest.servers].sort((a, b) => a.name.localeCompare(b.name)),
  });
}
