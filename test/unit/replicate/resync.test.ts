import { expect, test } from "bun:test";
import { serverName, type SiteRelease } from "../../../src/core/types.ts";
import { afterTurn, behindCurrent, dueNow, type Backoff } from "../../../src/replicate/resync.ts";
import type { ReplicateResult } from "../../../src/replicate/publish.ts";
import type { ReleaseId } from "../../../src/replicate/manifest.ts";

const [a, b, c, d, e] = [serverName("a"), serverName("b"), serverName("c"), serverName("d"), serverName("e")];
const current: SiteRelease = { id: "r2", previous: "r1", sinceMs: 1000 };

test("behind: reporting servers on another release, the previous one and none included; not dead ones, not ones that do not say", () => {
  const servers = [
    { name: a, state: "up" as const, release: "r2" },
    { name: b, state: "up" as const, release: "r1" },
    { name: c, state: "tempfail" as const, release: "" },
    { name: d, state: "dead" as const, release: "r0" },
    { name: e, state: "up" as const },
  ];
  expect(behindCurrent(servers, current)).toEqual([b, c]);
  expect(behindCurrent(servers, undefined)).toEqual([]);
});

test("backoff: a failed server waits 1 s, then 2 s; one brought over is forgotten; others are due", () => {
  const failed = (s: string): ReplicateResult => ({ ok: false, servers: [{ server: s, attempts: 1, error: "ssh: refused" }] });
  let bo: Backoff = new Map();
  bo = afterTurn(bo, [b], failed("b"), 10_000);
  expect(dueNow([b, c], bo, 10_500)).toEqual([c]);
  expect(dueNow([b, c], bo, 11_000)).toEqual([b, c]);
  bo = afterTurn(bo, [b], failed("b"), 11_000);
  expect(bo.get(b)).toEqual({ failures: 2, nextAtMs: 13_000 });
  bo = afterTurn(bo, [b], { ok: true, servers: [{ server: "b", attempts: 1, now: "r2" as ReleaseId }] }, 13_000);
  expect(bo.has(b)).toBe(false);
  // A turn that tried nothing (the tree changed) backs every server off too.
  bo = afterTurn(bo, [b, c], { ok: false, servers: [], error: "changed" }, 20_000);
  expect(dueNow([b, c], bo, 20_500)).toEqual([]);
});
