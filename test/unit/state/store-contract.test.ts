// One contract for both state stores (Hono-style: the same suite runs against each): the
// directory a node keeps on disk and the in-memory one the simulator gives its nodes.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, StateDir, type StateStore } from "../../../src/state/store.ts";

const dir = mkdtempSync(join(tmpdir(), "walrus-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each target makes a fresh store and can put raw bytes into it as a crash or an operator might. */
const targets: { name: string; make(): { store: StateStore; plant(name: string, text: string): void } }[] = [
  {
    name: "StateDir",
    make() {
      const store = new StateDir(mkdtempSync(join(dir, "s-")));
      return { store, plant: (name, text) => writeFileSync(store.path(name), text) };
    },
  },
  {
    name: "MemoryStore",
    make() {
      const store = new MemoryStore();
      return { store, plant: (name, text) => store.files.set(name, new TextEncoder().encode(text)) };
    },
  },
];

for (const t of targets) {
  describe(`${t.name} keeps the state-store contract`, () => {
    test("a file never written reads as absent, as bytes and as JSON", () => {
      const { store } = t.make();
      expect(store.read("none.json")).toBeUndefined();
      expect(store.readJson("none.json")).toBeUndefined();
    });

    test("bytes and text come back as written; a second write replaces the first", () => {
      const { store } = t.make();
      store.write("a.bin", new Uint8Array([0, 1, 255]));
      expect([...(store.read("a.bin") ?? [])]).toEqual([0, 1, 255]);
      store.write("b.txt", "hello");
      store.write("b.txt", "bye");
      expect(new TextDecoder().decode(store.read("b.txt"))).toBe("bye");
    });

    test("JSON comes back as written", () => {
      const { store } = t.make();
      const value = { epoch: 7, drains: [{ server: "web-1", drained: true }], note: "é" };
      store.writeJson("state.json", value);
      expect(store.readJson("state.json")).toEqual(value);
      store.writeJson("n.json", 12);
      expect(store.readJson("n.json")).toBe(12);
    });

    test("a corrupt JSON file reads as absent (the next write replaces it)", () => {
      const { store, plant } = t.make();
      plant("torn.json", '{"epoch": 3');
      expect(store.readJson("torn.json")).toBeUndefined();
      store.writeJson("torn.json", 4);
      expect(store.readJson("torn.json")).toBe(4);
    });
  });
}
