// A short digest of [site]: nodes announce it so one whose site differs is seen and left out.
import { createHash } from "node:crypto";
import type { Site } from "../core/types.ts";

/** The secret's path is left out: hosts may keep the same secret in different places. */
export function siteDigest(site: Site): string {
  const { secretFile: _path, ...rest } = site;
  const canonical = {
    ...rest,
    areas: [...rest.areas].sort((a, b) => a.name.localeCompare(b.name)),
    servers: [...rest.servers].sort((a, b) => a.name.localeCompare(b.name)),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}
