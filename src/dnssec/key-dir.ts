// The directory of a zone's keys (site.dnssec_keys), on every nameserver of the site. Keys are
// written atomically (temporary file, then rename), the private one readable by its owner only;
// key material is never logged.

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { formatPrivateFile, formatPublicFile, keyFileBase, parseKeyFiles } from "./key-files.ts";
import type { ZoneKey } from "./key.ts";

/** Every key of `zone` in `dir`; a file that does not parse stops the caller, naming the file. */
export function loadKeyDir(dir: string, zone: string): ZoneKey[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`${dir} (site.dnssec_keys): cannot read the key directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const keys: ZoneKey[] = [];
  for (const name of names.filter((n) => n.startsWith(`K${zone}.+`) && n.endsWith(".private")).sort()) {
    const base = name.slice(0, -".private".length);
    const pub = join(dir, `${base}.key`);
    const parsed = parseKeyFiles(zone, readFileSync(pub, "utf8"), readFileSync(join(dir, name), "utf8"));
    if (!parsed.ok) throw new Error(`${join(dir, base)}.{key,private} (site.dnssec_keys): expected ${parsed.expected}`);
    keys.push(parsed.key);
  }
  return keys;
}

/** When the directory last changed (a key written or renamed into it), to reload only then. */
export function keyDirStamp(dir: string): number {
  try {
    return statSync(dir).mtimeMs;
  } catch {
    return -1;
  }
}

/** Writes both files of `key` into `dir` (made 0700 if missing); the private file is 0600. */
export function writeKey(dir: string, key: ZoneKey): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, keyFileBase(key));
  writeAtomic(`${base}.private`, formatPrivateFile(key), 0o600);
  writeAtomic(`${base}.key`, formatPublicFile(key), 0o644);
  return base;
}

function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
