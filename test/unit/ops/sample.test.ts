import { expect, test } from "bun:test";
import type { StatusReport } from "../../../src/ops/status.ts";
import { serverName, type Report } from "../../../src/core/types.ts";
import { queryRate, reportedRate, takeSample } from "../../../src/ops/sample.ts";

const report = (web?: Report["web"]): Report => ({ server: serverName("s"), seq: 1, atMs: 0, status: web ? "ok" : "panic", web });
const apache = (requestsPerSecond?: number) =>
  report({ hits: 100, busyWorkers: 1, maxWorkers: 16, ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }) });

test.each([
  ["an Apache or nginx counter", apache(12.5), "up", 12.5],
  ["an idle server counts 0, which is known", apache(0), "up", 0],
  ["the first reading, or the one after a counter reset (the reporter gives no rate)", apache(), "up", null],
  ["an http or tcp probe has no counter", report(), "up", null],
  ["a dead server's last rate is not current", apache(12.5), "dead", null],
  ["no report yet", undefined, "unknown", null],
] as const)("rate: %s", (_name, r, state, expected) => {
  expect(reportedRate(r, state)).toBe(expected);
});

test.each([
  ["two readings", { atMs: 0, byArea: { east: 10 } }, { atMs: 2000, byArea: { east: 30 } }, 10],
  ["the first reading", undefined, { atMs: 2000, byArea: { east: 30 } }, null],
  ["not a nameserver", undefined, undefined, null],
  ["a count that went back (a DNS worker restarted)", { atMs: 0, byArea: { east: 50 } }, { atMs: 1000, byArea: { east: 3 } }, null],
] as const)("queries per second: %s", (_name, prev, cur, expected) => {
  expect(queryRate(prev, cur, "east")).toBe(expected);
});

test("a sample: drained servers are out of service with their state said; TEMPFAIL with fresh figures is in", () => {
  const server = (name: string, state: StatusReport["servers"][number]["state"], load: number | null, drained = false) => ({
    name,
    cluster: "east",
    state,
    measured: "ok",
    load,
    threshold: 0.8,
    drained,
    drainReason: "",
    selfRegistered: false,
    reason: "",
    release: null,
    stale: false,
  });
  const status = {
    servers: [server("a", "up", 0.3), server("b", "drained", 0.1, true), server("c", "tempfail", 0.2), server("d", "tempfail", null)],
    areas: [{ area: "east", cluster: "west", servers: [], reason: "balance" as const, detail: "" }],
  };
  const s = takeSample(5000, status, (n) => (n === "a" ? apache(7) : apache()), {
    prev: { atMs: 4000, byArea: { east: 1 } },
    cur: { atMs: 5000, byArea: { east: 4 } },
  });
  expect(s).toEqual({
    atMs: 5000,
    servers: {
      a: { load: 0.3, state: "up", rps: 7, inService: true },
      b: { load: 0.1, state: "drained", rps: null, inService: false },
      c: { load: 0.2, state: "tempfail", rps: null, inService: true },
      d: { load: null, state: "tempfail", rps: null, inService: false },
    },
    areas: { east: { cluster: "west", qps: 3 } },
  });
});
