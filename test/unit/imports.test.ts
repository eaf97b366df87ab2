// The import graph of src/: no file reaches itself through its imports, and no folder imports a
// folder above it in the order the README's "Layout" gives. Pure: reads the sources as text.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");
/** Lowest first (README "Layout"); a file may import its own folder and those before it. */
const ORDER = [
  "core",
  "net",
  "authority",
  "membership",
  "assign",
  "state",
  "geo",
  "dnssec",
  "dns",
  "report",
  "director",
  "replicate",
  "config",
  "roles",
  "ops",
  "control",
  "assembly",
  "sim",
  "node.ts",
  "commands",
  "main.ts",
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Relative imports and re-exports of one file, resolved to paths inside src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+\.ts)"/gm)].map((m) => resolve(dirname(file), m[1] as string));
}

const folderOf = (file: string) => {
  const parts = relative(SRC, file).split("/");
  return parts[0] as string; // a folder, or a file at the top (node.ts, main.ts)
};

const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));

test("every folder of src/ has a place in the order", () => {
  expect([...new Set([...graph.keys()].map(folderOf))].filter((f) => !ORDER.includes(f))).toEqual([]);
});

test("no folder imports a folder above it", () => {
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    for (const t of targets) {
      if (ORDER.indexOf(folderOf(t)) > ORDER.indexOf(folderOf(file))) upward.push(`${relative(SRC, file)} -> ${relative(SRC, t)}`);
    }
  }
  expect(upward).toEqual([]);
});

test("no import cycle", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => relative(SRC, x)).join(" -> "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

test("the checker sees imports: the controller reads the site view", () => {
  expect(graph.get(join(SRC, "roles/controller.ts"))).toContain(join(SRC, "roles/site-view.ts"));
});

test("a node is assembled in one place: only src/assembly starts the roles and ops", () => {
  const starters = ["roles/controller.ts", "roles/reporter.ts", "roles/nameserver.ts", "roles/site-view.ts", "ops/start-ops.ts"].map((f) => join(SRC, f));
  // Value imports only: reading a role's type is not starting it.
  const valueImports = (file: string) =>
    [...readFileSync(file, "utf8").matchAll(/^\s*import\s+(?!type\s)[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+\.ts)"/gm)].map((m) =>
      resolve(dirname(file), m[1] as string),
    );
  const importers = [...graph.keys()].filter((file) => valueImports(file).some((t) => starters.includes(t))).map((file) => relative(SRC, file));
  expect(importers).toEqual(["assembly/assemble-node.ts"]);
});
