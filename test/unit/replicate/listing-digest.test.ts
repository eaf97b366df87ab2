// The digest a server computes of its staged copy (find, LC_ALL=C sort -z, sha256sum: the real
// tools, on a real tree) must equal the one the replicator computes from the release's manifest,
// or every publish would fall back to the listing; and must differ when the copy does.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeManifest } from "../../../src/replicate/manifest.ts";
import { DIGEST_FIND, listingDigest } from "../../../src/replicate/remote-state.ts";
import { readTree } from "../../../src/replicate/tree.ts";

const dir = mkdtempSync(join(tmpdir(), "walrus-digest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serverDigest(root: string): string {
  const r = Bun.spawnSync(["sh", "-c", `cd ${root} && find . -mindepth 1 ${DIGEST_FIND} | LC_ALL=C sort -z | sha256sum`]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString().split(" ")[0] ?? "";
}

function manifestDigest(root: string): string {
  const tree = readTree(root);
  if (!tree.ok) throw new Error(tree.problems.join("; "));
  return listingDigest(makeManifest(tree.entries));
}

test("the server's digest of a tree equals the manifest's, whatever the names; a change shows", () => {
  const root = join(dir, "tree");
  mkdirSync(join(root, "css", "empty dir"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<h1>hello</h1>\n");
  writeFileSync(join(root, "css", "site.css"), "body {}\n");
  writeFileSync(join(root, "a name with spaces\nand a newline"), "x");
  writeFileSync(join(root, "Ünïcödé-名前.txt"), "unicode");
  writeFileSync(join(root, "Z-upper"), ""); // C order puts upper case before lower case
  symlinkSync("index.html", join(root, "home.html"));
  symlinkSync("css/site.css x", join(root, "odd link")); // a target with a space, dangling
  const digest = manifestDigest(root);
  expect(serverDigest(root)).toBe(digest);

  writeFileSync(join(root, "css", "site.css"), "body { }\n"); // one byte longer
  expect(serverDigest(root)).not.toBe(digest);
  expect(serverDigest(root)).toBe(manifestDigest(root));
  writeFileSync(join(root, "extra"), "");
  expect(serverDigest(root)).not.toBe(digest);
});
