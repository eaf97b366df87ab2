// The state directory: files operators rely on (identity key, drains, last assignment),
// each written atomically (temp file, fsync, rename, fsync of the directory) so a crash
// leaves either the old or the new version, never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

/** What roles need of the state directory; the simulator gives them an in-memory one. */
export interface StateStore {
  read(name: string): Uint8Array | undefined;
  readJson(name: string): unknown;
  write(name: string, data: Uint8Array | string, mode?: number): void;
  writeJson(name: string, value: unknown): void;
}

export class MemoryStore implements StateStore {
  readonly files = new Map<string, Uint8Array>();
  read(name: string): Uint8Array | undefined {
    return this.files.get(name);
  }
  readJson(name: string): unknown {
    return jsonOf(this.read(name));
  }
  write(name: string, data: Uint8Array | string): void {
    this.files.set(name, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }
  writeJson(name: string, value: unknown): void {
    this.write(name, JSON.stringify(value));
  }
}

export class StateDir implements StateStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): Uint8Array | undefined {
    try {
      return readFileSync(this.path(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  readJson(name: string): unknown {
    return jsonOf(this.read(name));
  }

  write(name: string, data: Uint8Array | string, mode = 0o600): void {
    const final = this.path(name);
    const tmp = `${final}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", mode);
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  writeJson(name: string, value: unknown): void {
    this.write(name, `${JSON.stringify(value, null, 1)}\n`);
  }
}

/** A corrupt file is treated as absent; the next write replaces it. */
function jsonOf(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
