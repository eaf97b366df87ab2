// A release's manifest and id: what the document tree holds, and a name derived from it alone,
// so the same tree published twice is the same release and any change is a new one.
import { createHash } from "node:crypto";

/** A release id: the first 16 hex digits of the manifest's SHA-256. */
export type ReleaseId = string & { readonly __brand: "ReleaseId" };
export const RELEASE_ID = /^[0-9a-f]{16}$/;

export const isReleaseId = (s: string): s is ReleaseId => RELEASE_ID.test(s);

/** One entry of the tree, its path relative to the tree's root with "/" separators. */
export type ManifestEntry =
  { kind: "file"; path: string; size: number; sha256: string } | { kind: "dir"; path: string } | { kind: "link"; path: string; target: string };

export interface Manifest {
  id: ReleaseId;
  entries: ManifestEntry[];
  files: number;
  bytes: number;
}

function line(e: ManifestEntry): string {
  switch (e.kind) {
    case "file":
      return `f ${e.size} ${e.sha256} ${e.path}`;
    case "dir":
      return `d ${e.path}`;
    case "link":
      return `l ${e.path} -> ${e.target}`;
  }
}

/** Entries in any order in, the manifest with its id out (sorted by path, so order never matters). */
export function makeManifest(entries: readonly ManifestEntry[]): Manifest {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash("sha256");
  for (const e of sorted) hash.update(`${line(e)}\n`);
  const files = sorted.filter((e) => e.kind === "file");
  return {
    id: hash.digest("hex").slice(0, 16) as ReleaseId,
    entries: sorted,
    files: files.length,
    bytes: files.reduce((n, e) => n + e.size, 0),
  };
}
