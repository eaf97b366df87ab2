// A short digest of [site]: nodes announce it so one whose site differs is seen and left out.
import { createHash } from "node:crypto";
import type { Site } from "../core/types.ts";

/** The secret's and the keys' paths are left out: hosts may keep them in different places; whether the zone is signed is kept in. */
export function siteDigest(site: Site): string {
  const { secretFile: _path, dnssecKeys, ...rest } = site;
  const canonical = {
    ...rest,
    ...(dnssecKeys ? { dnssec: true } : {}),
    areas: [...rest.areas].sort((a, b) => a.name.localeCompare(b.name)),
    servers: [...rest.servers].sort((a, b) => a.name.localeCompare(b.name)),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}
