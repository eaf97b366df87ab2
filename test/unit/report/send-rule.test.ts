// Which reports go out: only what the controller would judge differently, or a refresh before
// the last one lapses.
import { expect, test } from "bun:test";
import { serverName, type Report } from "../../../src/core/types.ts";
import { reasonToSend, refreshMs, sentOf, type SendRules, type Sent } from "../../../src/report/send-rule.ts";

const rules: SendRules = { loadTerms: ["memory"], loadThreshold: 0.8, loadHysteresis: 0.05, reportIntervalMs: 1000, deadAfterMs: 5000 };
const at = (ms: number, o: Partial<Sent> = {}): Sent => ({ status: "ok", reason: undefined, release: "r1", load: 0.5, atMs: ms, earlierAtMs: [], ...o });

test("the refresh is a third of dead_after, never under the report interval", () => {
  expect(refreshMs(rules)).toBe(1666);
  expect(refreshMs({ ...rules, reportIntervalMs: 3000 })).toBe(3000);
});

test.each([
  ["nothing sent yet", undefined, at(0), "first"],
  ["the same a second later", at(0), at(1000), undefined],
  ["the same, just before the refresh", at(0), at(1665), undefined],
  ["the same, at the refresh", at(0), at(1666), "refresh"],
  ["the same, the next chance still within dead_after of the third back", at(4000, { earlierAtMs: [1000, 2000] }), at(5000), undefined],
  ["the same, the next chance past dead_after of the third back", at(4000, { earlierAtMs: [0, 2000] }), at(5000), "refresh"],
  ["status ok → panic", at(0), at(1000, { status: "panic", reason: "web server down" }), "status"],
  ["panic with another reason", at(0, { status: "panic", reason: "refused" }), at(500, { status: "panic", reason: "timeout" }), "reason"],
  ["another release", at(0), at(1000, { release: "r2" }), "release"],
  ["load moves 0.019", at(0), at(1000, { load: 0.519 }), undefined],
  ["load moves 0.02", at(0), at(1000, { load: 0.52 }), "load"],
  ["load falls 0.03", at(0), at(1000, { load: 0.47 }), "load"],
  ["load crosses the threshold by 0.01", at(0, { load: 0.795 }), at(1000, { load: 0.805 }), "load"],
  ["load falls under where hysteresis ends", at(0, { load: 0.755 }), at(1000, { load: 0.745 }), "load"],
  ["load no longer measured", at(0), at(1000, { load: undefined }), "load"],
  [
    "still no load",
    at(0, { load: undefined, status: "tempfail", reason: "starting" }),
    at(1000, { load: undefined, status: "tempfail", reason: "starting" }),
    undefined,
  ],
])("%s → %p", (_what, last, next, expected) => {
  expect(reasonToSend(last, next, rules)).toBe(expected);
});

test("a report's load is the site's load figure", () => {
  const host = {
    durationMs: 1000,
    cpus: 2,
    cpuUser: 1,
    cpuSystem: 1,
    cpuIdle: 8,
    memTotalBytes: 1000,
    memFreeBytes: 400,
    pagedOutBytes: 0,
    swapFreeBytes: 0,
    runnable: 1,
    blocked: 0,
  };
  const report: Report = { server: serverName("web-1"), seq: 3, atMs: 7, status: "ok", host };
  expect(sentOf(report, rules)).toEqual({ status: "ok", reason: undefined, release: undefined, load: 0.6, atMs: 7, earlierAtMs: [] });
});

test("a calm reporter, measuring every second, sends three reports within any dead_after_ms", () => {
  const report: Report = { server: serverName("web-1"), seq: 0, atMs: 0, status: "ok" };
  let sent: Sent | undefined;
  const times: number[] = [];
  for (let t = 0; t <= 60_000; t += rules.reportIntervalMs) {
    const next = sentOf({ ...report, atMs: t }, rules, sent);
    if (reasonToSend(sent, next, rules)) ((sent = next), times.push(t));
  }
  for (let i = 3; i < times.length; i++) expect(times[i]! - times[i - 3]!).toBeLessThanOrEqual(rules.deadAfterMs);
  // Gaps of 2, 2 and 1 s: 0.6 a second, where a report every interval would be 1.
  expect(times.slice(0, 7)).toEqual([0, 2000, 4000, 5000, 7000, 9000, 10_000]);
});
