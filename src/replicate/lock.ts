// One publish or rollback at a time per replicator: a lock file in the state directory holding
// the owner's pid. A lock whose owner is gone (a killed publish) is taken over.
import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { pidAlive as alive } from "../core/pid-alive.ts";

const FILE = "publish.lock";

/** `held`: another live process holds it (as opposed to a file system error), doing `holder`. */
export type Locked = { ok: true; release: () => void } | { ok: false; error: string; held?: true; holder?: string };

export function takePublishLock(stateDir: string, what: string, nowMs: number): Locked {
  const path = join(stateDir, FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, what, atMs: nowMs }));
      closeSync(fd);
      return { ok: true, release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return { ok: false, error: `${path}: cannot take the publish lock (${(err as Error).message})` };
    }
    let owner: { pid?: number; what?: string; atMs?: number } = {};
    try {
      owner = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      // unreadable: written by a process killed mid-write, so nobody holds it
    }
    if (typeof owner.pid === "number" && alive(owner.pid)) {
      const since = typeof owner.atMs === "number" ? `, started ${new Date(owner.atMs).toISOString()}` : "";
      return {
        ok: false,
        held: true,
        ...(owner.what !== undefined && { holder: owner.what }),
        error: `another ${owner.what ?? "publish"} is running (pid ${owner.pid}${since}); wait for it to finish`,
      };
    }
    rmSync(path, { force: true });
  }
  return { ok: false, error: `${path}: cannot take the publish lock` };
}
