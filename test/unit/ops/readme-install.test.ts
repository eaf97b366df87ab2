// The README's three-host install shows a config; like the example config, it must load.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load.ts";

test("the README's east host config (its [site] table and its own tables) is valid", () => {
  const readme = readFileSync(`${import.meta.dir}/../../../README.md`, "utf8");
  const install = readme.slice(readme.indexOf("## Install on real hosts"), readme.indexOf("## Commands"));
  const blocks = [...install.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => (m[1] as string).replace(/^ {3}/gm, ""));
  expect(blocks).toHaveLength(2);
  const dir = mkdtempSync(join(tmpdir(), "walrus-readme-"));
  try {
    const file = join(dir, "east.toml");
    writeFileSync(file, `${blocks[1]}\n${blocks[0]}`);
    const r = loadConfig(file);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.site.areas.map((a) => a.name as string)).toEqual(["east", "west", "north"]);
    expect(r.config.metrics?.listen).toEqual({ host: "127.0.0.1", port: 9464 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
