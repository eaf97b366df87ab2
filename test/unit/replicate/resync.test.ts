import { expect, test } from "bun:test";
import { serverName, type SiteRelease } from "../../../src/core/types.ts";
import { createLogger } from "../../../src/core/log.ts";
import type { Timers } from "../../../src/core/timers.ts";
import { afterTurn, behindCurrent, dueNow, startResync, type Backoff } from "../../../src/replicate/resync.ts";
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

test("behind: a server whose last report arrived before the switch is not (it could not show the release yet)", () => {
  const servers = [
    { name: a, state: "up" as const, release: "r1", receivedAtMs: 999 },
    { name: b, state: "up" as const, release: "r1", receivedAtMs: 1000 },
    { name: c, state: "up" as const, release: "", receivedAtMs: 1500 },
  ];
  expect(behindCurrent(servers, current)).toEqual([b, c]);
});

test("backoff: a failed server waits 1 s, then 2 s; one brought over is forgotten; others are due", () => {
  const failed = (s: string): ReplicateResult => ({ ok: false, servers: [{ server: s, attempts: 1, error: "ssh: refused" }] });
  let bo: Backoff = new Map();
  bo = afterTurn(bo, [b], failed("b"), 10_000);
  expect(dueNow([b, c], bo, 10_500)).toEqual([c]);
  expect(dueNow([b, c], bo, 11_000)).toEqual([b, c]);
  bo = afterTurn(bo, [b], failed("b"), 11_000);
  expect(bo.get(b)).toEqual({ failures: 2, error: "ssh: refused", nextAtMs: 13_000 });
  bo = afterTurn(bo, [b], { ok: true, servers: [{ server: "b", attempts: 1, now: "r2" as ReleaseId }] }, 13_000);
  expect(bo.has(b)).toBe(false);
  // A turn that tried nothing (the tree changed) backs every server off too.
  bo = afterTurn(bo, [b, c], { ok: false, servers: [], error: "changed" }, 20_000);
  expect(dueNow([b, c], bo, 20_500)).toEqual([]);
  expect(bo.get(c)?.error).toBe("changed");
});

test("failing: what status shows, worst first, only servers still behind, with the time to the next try", async () => {
  let now = 10_000;
  let tick = () => {};
  const timers: Timers = { every: (_ms, fn) => ((tick = fn), () => {}), after: () => () => {} };
  let behind = [c, b];
  const r = startResync({
    everyMs: 1000,
    timers,
    clock: () => now,
    log: createLogger({ write: () => {} }),
    behind: () => behind,
    resync: async (servers) => ({ ok: false, servers: servers.map((s) => ({ server: s, attempts: 1, error: `${s}: connection refused` })) }),
  });
  expect(r.failing()).toEqual([]);
  tick();
  await Bun.sleep(0);
  now += 400;
  expect(r.failing()).toEqual([
    { server: b, failures: 1, error: "b: connection refused", retryInMs: 600 },
    { server: c, failures: 1, error: "c: connection refused", retryInMs: 600 },
  ]);
  behind = [c];
  expect(r.failing().map((f) => f.server)).toEqual([c]);
  r.stop();
});
