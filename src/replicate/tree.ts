// Reads a document tree into manifest entries: regular files (size and SHA-256), directories and
// symbolic links. Anything else, or anything unreadable, is an error naming the path, so a
// release is never made of part of a tree.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ManifestEntry } from "./manifest.ts";

const CHUNK_BYTES = 1 << 20;
/** A digest taken this soon after the file changed is not kept: file times are coarse (a few
 * ms), so a second write within the same tick could leave size and time alike ("racily clean"). */
const RACY_NS = 2_000_000_000n;
/** More problems than this are summarised: the first ones say enough. */
const MAX_PROBLEMS = 20;

export type TreeRead = { ok: true; entries: ManifestEntry[]; digests: DigestCache } | { ok: false; problems: string[] };

/**
 * File digests of the last publish by path, with the size, change time and inode they were
 * taken at (as git's index keeps them): a file none of these changed for is not read again,
 * so publishing a one-file change to a large tree costs one file's hashing.
 */
export type DigestCache = Record<string, [size: number, ctimeNs: string, ino: string, sha256: string]>;

function sha256File(path: string, buf: Buffer): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, buf, 0, CHUNK_BYTES, null); n > 0; n = readSync(fd, buf, 0, CHUNK_BYTES, null)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

export function readTree(root: string, cache: DigestCache = {}, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): TreeRead {
  const entries: ManifestEntry[] = [];
  const digests: DigestCache = {};
  const problems: string[] = [];
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch (err) {
      problems.push(`${join(root, rel)}: cannot list (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return;
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      try {
        const st = lstatSync(full, { bigint: true });
        if (st.isDirectory()) {
          entries.push({ kind: "dir", path });
          walk(path);
        } else if (st.isFile()) {
          const size = Number(st.size);
          const [ctime, ino] = [String(st.ctimeNs), String(st.ino)];
          const known = cache[path];
          const sha256 = known && known[0] === size && known[1] === ctime && known[2] === ino ? known[3] : sha256File(full, buf);
          if (nowNs - st.ctimeNs > RACY_NS) digests[path] = [size, ctime, ino, sha256];
          entries.push({ kind: "file", path, size, sha256 });
        } else if (st.isSymbolicLink()) entries.push({ kind: "link", path, target: readlinkSync(full) });
        else problems.push(`${full}: not a regular file, directory or symbolic link`);
      } catch (err) {
        problems.push(`${full}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
  };
  try {
    if (!lstatSync(root).isDirectory()) return { ok: false, problems: [`${root}: not a directory`] };
  } catch (err) {
    return { ok: false, problems: [`${root}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`] };
  }
  walk("");
  if (problems.length > MAX_PROBLEMS) problems.splice(MAX_PROBLEMS, problems.length, `… and ${problems.length - MAX_PROBLEMS} more`);
  return problems.length ? { ok: false, problems } : { ok: true, entries, digests };
}
