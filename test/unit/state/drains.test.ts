import { describe, expect, test } from "bun:test";
import { serverName, type DrainEntry } from "../../../src/core/types.ts";
import { mergeDrains, type Drains } from "../../../src/state/drains.ts";

const KNOWN = new Set(["web-1", "web-2", "web-3"]);

const entry = (server: string, drained: boolean, atMs: number, by = "op", reason = drained ? "maintenance" : ""): DrainEntry => ({
  server: serverName(server),
  drained,
  reason,
  atMs,
  by,
});
const table = (...entries: DrainEntry[]): Drains => new Map(entries.map((e) => [e.server, e]));
/** Merging into a table that may not change: undefined means "unchanged". */
const merged = (t: Drains, incoming: DrainEntry[]) => mergeDrains(t, incoming, KNOWN) ?? t;

describe("mergeDrains: which entry wins", () => {
  // [what, table before, incoming, the entry for web-1 afterwards]
  const cases: [string, DrainEntry[], DrainEntry[], DrainEntry | undefined][] = [
    ["a first entry is taken", [], [entry("web-1", true, 100)], entry("web-1", true, 100)],
    ["a newer undrain beats an older drain", [entry("web-1", true, 100)], [entry("web-1", false, 101)], entry("web-1", false, 101)],
    ["a newer drain beats an older undrain", [entry("web-1", false, 100)], [entry("web-1", true, 101)], entry("web-1", true, 101)],
    ["an older entry loses to the table's newer one", [entry("web-1", true, 200)], [entry("web-1", false, 100)], entry("web-1", true, 200)],
    ["equal time: a drain beats an undrain already in the table", [entry("web-1", false, 100)], [entry("web-1", true, 100)], entry("web-1", true, 100)],
    ["equal time: an incoming undrain loses to a drain", [entry("web-1", true, 100)], [entry("web-1", false, 100)], entry("web-1", true, 100)],
    ["equal time and kind: the larger author wins", [entry("web-1", true, 100, "alice")], [entry("web-1", true, 100, "bob")], entry("web-1", true, 100, "bob")],
    [
      "equal time and kind: the smaller author loses",
      [entry("web-1", true, 100, "bob")],
      [entry("web-1", true, 100, "alice")],
      entry("web-1", true, 100, "bob"),
    ],
    [
      "newest of several incoming wins regardless of order",
      [],
      [entry("web-1", true, 300), entry("web-1", false, 500), entry("web-1", true, 400)],
      entry("web-1", false, 500),
    ],
    ["an unknown server is ignored", [], [entry("web-9", true, 100)], undefined],
  ];

  test.each(cases)("%s", (_what, before, incoming, after) => {
    expect(merged(table(...before), incoming).get(serverName("web-1"))).toEqual(after as DrainEntry);
  });

  test("an unknown server never enters the table", () => {
    const out = merged(table(entry("web-1", true, 100)), [entry("web-9", true, 999), entry("web-2", true, 5)]);
    expect([...out.keys()].map(String).sort()).toEqual(["web-1", "web-2"]);
  });
});

describe("mergeDrains: reports change only when something changes", () => {
  const before = table(entry("web-1", true, 100), entry("web-2", false, 50));

  test.each([
    ["nothing incoming", []],
    ["the same entries again", [entry("web-1", true, 100), entry("web-2", false, 50)]],
    ["only older entries", [entry("web-1", false, 99), entry("web-2", true, 49)]],
    ["only unknown servers", [entry("web-9", true, 1_000)]],
    ["an equal-time undrain against a drain", [entry("web-1", false, 100)]],
  ] as [string, DrainEntry[]][])("returns undefined for %s", (_what, incoming) => {
    expect(mergeDrains(before, incoming, KNOWN)).toBeUndefined();
  });

  test("returns a new table and leaves the input untouched when an entry wins", () => {
    const snapshot = new Map(before);
    const out = mergeDrains(before, [entry("web-2", true, 60)], KNOWN);
    expect(out?.get(serverName("web-2"))).toEqual(entry("web-2", true, 60));
    expect(out).not.toBe(before);
    expect(before).toEqual(snapshot);
  });
});

describe("mergeDrains: any two nodes converge", () => {
  // Sets of entries as different nodes might hold them.
  const sets: [string, DrainEntry[]][] = [
    ["empty", []],
    ["drain web-1 @100 by alice", [entry("web-1", true, 100, "alice")]],
    ["undrain web-1 @100 by bob", [entry("web-1", false, 100, "bob")]],
    ["drain web-1 @100 by bob", [entry("web-1", true, 100, "bob")]],
    ["undrain web-1 @200, drain web-2 @150", [entry("web-1", false, 200), entry("web-2", true, 150)]],
    ["drain web-2 @150 by zed, web-3 @1", [entry("web-2", true, 150, "zed"), entry("web-3", true, 1)]],
    ["undrain everything @150", [entry("web-1", false, 150), entry("web-2", false, 150), entry("web-3", false, 150)]],
    ["unknown web-9 and drain web-3 @2", [entry("web-9", true, 999), entry("web-3", true, 2)]],
  ];
  const pairs = sets.flatMap(([na, a]) => sets.map(([nb, b]) => [na, nb, a, b] as const));

  test.each(pairs)("merging [%s] and [%s] in either order gives the same table", (_na, _nb, a, b) => {
    const ab = merged(merged(new Map(), a), b);
    const ba = merged(merged(new Map(), b), a);
    expect(ab).toEqual(ba);
  });

  test.each(sets)("merging [%s] twice changes nothing the second time", (_name, a) => {
    const once = merged(new Map(), a);
    expect(mergeDrains(once, a, KNOWN)).toBeUndefined();
  });

  test.each(sets)("merging [%s] into a table that holds everything changes nothing", (_name, a) => {
    const everything = sets.reduce((t, [, s]) => merged(t, s), new Map() as Drains);
    expect(mergeDrains(everything, a, KNOWN)).toBeUndefined();
  });

  // Known gap (src/state/drains.ts, newer): entries equal in atMs, drained and by but with
  // different reasons tie, so whichever arrives first stays and two nodes can keep different
  // reasons. Rare (one node, two commands in the same ms), but the comment promises
  // commutativity. Flip to test() once a last tie-break (e.g. on reason) exists.
  test("entries that differ only in reason still converge", () => {
    const a = [entry("web-1", true, 100, "east-1", "disk swap")];
    const b = [entry("web-1", true, 100, "east-1", "kernel upgrade")];
    expect(merged(merged(new Map(), a), b)).toEqual(merged(merged(new Map(), b), a));
  });
});
