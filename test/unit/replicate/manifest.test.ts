import { describe, expect, test } from "bun:test";
import { makeManifest, type ManifestEntry } from "../../../src/replicate/manifest.ts";
import { compareListing, parseInspect, toPrune } from "../../../src/replicate/remote-state.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const TREE: ManifestEntry[] = [
  { kind: "file", path: "index.html", size: 10, sha256: A },
  { kind: "dir", path: "css" },
  { kind: "file", path: "css/site.css", size: 20, sha256: B },
  { kind: "link", path: "home.html", target: "index.html" },
];
const id = (entries: ManifestEntry[]) => makeManifest(entries).id;

describe("release id", () => {
  test("depends on the content only, not on the order the tree was read", () => {
    const m = makeManifest(TREE);
    expect(m.id).toMatch(/^[0-9a-f]{16}$/);
    expect(id([...TREE].reverse())).toBe(m.id);
    expect(m.files).toBe(2);
    expect(m.bytes).toBe(30);
  });

  test.each([
    ["a file's content", { kind: "file", path: "index.html", size: 10, sha256: B }],
    ["a file's size", { kind: "file", path: "index.html", size: 11, sha256: A }],
    ["a file's name", { kind: "file", path: "index.htm", size: 10, sha256: A }],
    ["a link's target", { kind: "link", path: "home.html", target: "css/site.css" }],
  ] as [string, ManifestEntry][])("changes with %s", (_, changed) => {
    const others = TREE.filter((e) => e.path !== changed.path && !(changed.path === "index.htm" && e.path === "index.html"));
    expect(id([...others, changed])).not.toBe(id(TREE));
  });

  test("an empty directory is part of the release", () => {
    expect(id([...TREE, { kind: "dir", path: "empty" }])).not.toBe(id(TREE));
  });
});

describe("what a server holds", () => {
  const R1 = "0123456789abcdef";
  const R2 = "fedcba9876543210";
  test("parses the inspect output, ignoring directories that are not ours", () => {
    const r = parseInspect(`current releases/${R2}\nentry ${R1}\nentry ${R2}\nentry .partial-${R1}\nentry lost+found\n`);
    expect(r).toEqual({ ok: true, state: { current: R2 as never, releases: [R1, R2] as never, partials: [`.partial-${R1}`] } });
  });

  test("a server with no current link yet, or one pointing elsewhere, has no current release", () => {
    expect(parseInspect("current \n")).toEqual({ ok: true, state: { releases: [], partials: [] } });
    expect(parseInspect("current /var/www/old\n")).toEqual({ ok: true, state: { releases: [], partials: [] } });
  });

  test.each([
    ["", "no answer from the inspect command"],
    ["Welcome to the server!\ncurrent \n", 'unexpected line from the server: "Welcome to the server!"'],
  ])("rejects output it does not understand: %j", (text, error) => {
    expect(parseInspect(text)).toEqual({ ok: false, error });
  });

  test("prunes releases neither kept nor current, and partials other than the one switched to", () => {
    const R3 = "1111111111111111";
    const state = { current: R1 as never, releases: [R1, R2, R3] as never[], partials: [`.partial-${R2}`, `.partial-${R3}`] };
    expect(toPrune(state, new Set([R3]), R3 as never)).toEqual([R2, `.partial-${R2}`]);
  });
});

describe("verifying a staged copy", () => {
  const m = makeManifest(TREE);
  const rec = (type: string, size: number, path: string, target = "") => `${type} ${size} ${path}\0${target}\0`;
  const whole = rec("f", 10, "index.html") + rec("d", 4096, "css") + rec("f", 20, "css/site.css") + rec("l", 10, "home.html", "index.html");

  test("a whole copy has no problems", () => {
    expect(compareListing(m, whole)).toEqual([]);
  });

  test("names a missing file, a cut-off file, an extra file and a wrong link", () => {
    const bad = rec("f", 4, "index.html") + rec("d", 4096, "css") + rec("l", 10, "home.html", "elsewhere") + rec("f", 1, "stray.tmp");
    expect(compareListing(m, bad)).toEqual([
      "css/site.css: missing",
      "home.html: not a link to index.html",
      "index.html: 4 bytes, expected 10",
      "stray.tmp: not in the release",
    ]);
  });

  test("file names with spaces and newlines survive the listing", () => {
    const odd = makeManifest([{ kind: "file", path: "a b\nc", size: 1, sha256: A }]);
    expect(compareListing(odd, rec("f", 1, "a b\nc"))).toEqual([]);
  });

  test("garbage is a problem, not a throw", () => {
    expect(compareListing(m, "garbage\0\0")).toEqual(['unreadable listing record "garbage"']);
  });
});
