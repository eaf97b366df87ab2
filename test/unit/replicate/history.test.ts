import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "bun";
import { createHash } from "node:crypto";
import { EMPTY_HISTORY, parseHistory, recordPublish, recordRollback, retryDelayMs, rollbackTarget } from "../../../src/replicate/history.ts";
import { takePublishLock } from "../../../src/replicate/lock.ts";
import { rollback } from "../../../src/replicate/publish.ts";
import { makeManifest } from "../../../src/replicate/manifest.ts";
import { readTree } from "../../../src/replicate/tree.ts";

const manifest = (n: number) => makeManifest([{ kind: "file", path: `f${n}`, size: n, sha256: "0".repeat(64) }]);

describe("release history", () => {
  test("keeps the newest releases, the published one current; republishing moves it to the front", () => {
    let h = EMPTY_HISTORY;
    for (let i = 1; i <= 4; i++) h = recordPublish(h, manifest(i), i * 1000, `r${i}`, 3, "/srv/tree");
    expect(h.releases.map((r) => r.message)).toEqual(["r2", "r3", "r4"]);
    expect(h.current).toBe(manifest(4).id);
    h = recordPublish(h, manifest(2), 5000, "r2 again", 3, "/srv/tree");
    expect(h.releases.map((r) => r.message)).toEqual(["r3", "r4", "r2 again"]);
    expect(h.sinceMs).toBe(5000);
  });

  test("rolls back to the release before the current one, or to the one named (by a prefix of 4+)", () => {
    let h = EMPTY_HISTORY;
    for (let i = 1; i <= 3; i++) h = recordPublish(h, manifest(i), i, `r${i}`, 5, "/srv/tree");
    expect(rollbackTarget(h)).toEqual({ ok: true, id: manifest(2).id });
    expect(rollbackTarget(h, manifest(1).id.slice(0, 6))).toEqual({ ok: true, id: manifest(1).id });
    h = recordRollback(h, manifest(1).id, 10);
    expect(h.current).toBe(manifest(1).id);
    expect(rollbackTarget(h)).toEqual({
      ok: false,
      error: `no release before the current one to roll back to (kept: ${[1, 2, 3].map((i) => manifest(i).id).join(", ")})`,
    });
    expect(rollbackTarget(h, "abc")).toMatchObject({ ok: false, error: expect.stringContaining("release abc is not among the kept releases") });
  });

  test("a malformed record reads as no history", () => {
    expect(parseHistory(undefined)).toBe(EMPTY_HISTORY);
    expect(parseHistory({ releases: [{ id: 1 }] })).toBe(EMPTY_HISTORY);
    const h = recordPublish(EMPTY_HISTORY, manifest(1), 1, "m", 2, "/srv/tree");
    expect(parseHistory(JSON.parse(JSON.stringify(h)))).toEqual(h);
  });

  test("retries wait 1 s, 2 s, 4 s … at most 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelayMs(a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe("the publish lock and the tree", () => {
  test("one holder at a time; a lock left by a dead process is taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "walrus-lock-"));
    try {
      const first = takePublishLock(dir, "publish", 1);
      expect(first.ok).toBe(true);
      expect(takePublishLock(dir, "rollback", 2)).toEqual({
        ok: false,
        held: true,
        holder: "publish",
        error: `another publish is running (pid ${process.pid}, started 1970-01-01T00:00:00.001Z); wait for it to finish`,
      });
      if (first.ok) first.release();
      const dead = spawnSync(["true"]).pid;
      writeFileSync(join(dir, "publish.lock"), JSON.stringify({ pid: dead, what: "publish", atMs: 1 }));
      expect(takePublishLock(dir, "publish", 3).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a rollback (or publish) waits for the node's resync under way, then goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "walrus-lock-"));
    const resyncing = Bun.spawn(["sleep", "1"]);
    try {
      writeFileSync(join(dir, "publish.lock"), JSON.stringify({ pid: resyncing.pid, what: "resync", atMs: Date.now() }));
      const said: string[] = [];
      const cfg = {
        root: "/srv/www",
        user: "walrus",
        port: 22,
        keepReleases: 3,
        timeoutMs: 5000,
        attempts: 1,
        resyncMs: 0,
        hosts: new Map(),
        roots: new Map(),
      };
      const started = performance.now();
      const r = await rollback({ cfg, stateDir: dir, clock: Date.now, say: (l) => said.push(l) });
      expect(performance.now() - started).toBeGreaterThan(500);
      expect(r.busy).toBeUndefined();
      expect(r.error).not.toContain("is running");
      expect(said[0]).toStartWith(`waiting for the node's resync to finish (another resync is running (pid ${resyncing.pid}`);
    } finally {
      resyncing.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("reads files, directories and links; refuses what it cannot copy, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "walrus-tree-"));
    try {
      mkdirSync(join(dir, "css"));
      writeFileSync(join(dir, "css", "a.css"), "abc");
      symlinkSync("css/a.css", join(dir, "link.css"));
      const ok = readTree(dir);
      expect(ok.ok && makeManifest(ok.entries).entries).toEqual([
        { kind: "dir", path: "css" },
        { kind: "file", path: "css/a.css", size: 3, sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { kind: "link", path: "link.css", target: "css/a.css" },
      ]);
      // A digest is reused while size, change time and inode are the same; a fresh one is not kept.
      expect(ok.ok && Object.keys(ok.digests)).toEqual([]);
      const later = readTree(dir, {}, BigInt(Date.now() + 5000) * 1_000_000n);
      if (!later.ok) throw new Error("unreadable");
      const [size, ctime, ino] = later.digests["css/a.css"] ?? [];
      const reused = readTree(dir, { "css/a.css": [size as number, ctime as string, ino as string, "f".repeat(64)] });
      expect(reused.ok && reused.entries.find((e) => e.path === "css/a.css")).toMatchObject({ sha256: "f".repeat(64) });
      writeFileSync(join(dir, "css", "a.css"), "abcd");
      const changed = readTree(dir, later.digests);
      expect(changed.ok && changed.entries.find((e) => e.path === "css/a.css")).toMatchObject({ sha256: createHash("sha256").update("abcd").digest("hex") });
      spawnSync(["mkfifo", join(dir, "css", "pipe")]);
      expect(readTree(dir)).toEqual({ ok: false, problems: [`${join(dir, "css", "pipe")}: not a regular file, directory or symbolic link`] });
      expect(readTree(join(dir, "nope"))).toEqual({ ok: false, problems: [`${join(dir, "nope")}: cannot read (ENOENT)`] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
