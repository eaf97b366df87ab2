import { describe, expect, test } from "bun:test";
import { isBelowThreshold, isFunctioning, recordReport, serverViews, type ReportRecord, type ViewRules } from "../../../src/assign/server-view.ts";
import {
  areaName,
  LOAD_TERMS,
  peerIdText,
  serverName,
  type DrainEntry,
  type HostStats,
  type Report,
  type ReportStatus,
  type ServerName,
  type ServerSpec,
  type ServerState,
  type ServerView,
} from "../../../src/core/types.ts";

const RULES: ViewRules = { loadTerms: LOAD_TERMS, deadAfterMs: 3000, tempfailReuseMs: 3000 };
const RECORD_RULES = { loadTerms: LOAD_TERMS, loadThreshold: 0.8, loadHysteresis: 0.1 };
const WEB1 = serverName("web-1");
const SERVERS: ServerSpec[] = [{ name: WEB1, area: areaName("east"), addresses: ["192.0.2.1"] }];
const REPORTER = peerIdText("12D3KooWReporter");

const HOST: HostStats = {
  durationMs: 1000,
  cpus: 2,
  cpuUser: 0,
  cpuSystem: 0,
  cpuIdle: 1,
  memTotalBytes: 4,
  memFreeBytes: 4,
  pagedOutBytes: 0,
  swapFreeBytes: 0,
  runnable: 0,
  blocked: 0,
};

/** One report as the reporter sends it: an OK one carries workers busy/max so its load is busy/max. */
type Sent = { at: number; status: ReportStatus; reason?: string; workers?: [number, number] };
const report = (s: Sent, seq: number): Report => ({
  server: WEB1,
  seq,
  atMs: s.at,
  status: s.status,
  ...(s.reason !== undefined ? { reason: s.reason } : {}),
  ...(s.workers ? { host: HOST, web: { hits: 0, busyWorkers: s.workers[0], maxWorkers: s.workers[1] } } : {}),
});

/** Folds the reports into one record, as the controller does on receipt. */
function recordOf(sent: Sent[]): ReportRecord | undefined {
  let rec: ReportRecord | undefined;
  sent.forEach((s, i) => (rec = recordReport(rec, report(s, i), REPORTER, s.at, RECORD_RULES)));
  return rec;
}

const drain = (drained: boolean, reason = "disk swap"): DrainEntry => ({ server: WEB1, drained, reason, atMs: 0, by: "op" });

interface Case {
  sent: Sent[];
  now: number;
  drain?: DrainEntry;
  reporterLive?: boolean;
}
function viewOf(c: Case): Omit<ServerView, "name" | "cluster"> {
  const rec = recordOf(c.sent);
  const records = new Map<ServerName, ReportRecord>(rec ? [[WEB1, rec]] : []);
  const drains = new Map<ServerName, DrainEntry>(c.drain ? [[WEB1, c.drain]] : []);
  const [v] = serverViews(SERVERS, records, drains, (p) => p === REPORTER && c.reporterLive !== false, c.now, RULES);
  if (!v) throw new Error("no view");
  expect([v.name, v.cluster]).toEqual([WEB1, areaName("east")]);
  const { name: _n, cluster: _c, ...rest } = v;
  return rest;
}

describe("serverViews: one state per server", () => {
  const ok = (at: number, busy = 4, max = 16): Sent => ({ at, status: "ok", workers: [busy, max] });

  // [what, case, expected state, load and reason]
  const cases: [string, Case, Omit<ServerView, "name" | "cluster">][] = [
    ["an up server carries its load", { sent: [ok(0)], now: 500 }, { state: "up", load: 0.25, overloaded: false }],
    ["an OK report without figures is up with no load", { sent: [{ at: 0, status: "ok" }], now: 500 }, { state: "up", load: undefined }],
    ["the newest OK report's load counts", { sent: [ok(0, 4), ok(1000, 12)], now: 1500 }, { state: "up", load: 0.75, overloaded: false }],

    ["drained beats an up report", { sent: [ok(0)], now: 500, drain: drain(true) }, { state: "drained", reason: "disk swap" }],
    [
      "drained beats a dead reporter and a panic",
      { sent: [{ at: 0, status: "panic" }], now: 99_999, drain: drain(true), reporterLive: false },
      { state: "drained", reason: "disk swap" },
    ],
    ["drained with no report yet", { sent: [], now: 0, drain: drain(true) }, { state: "drained", reason: "disk swap" }],
    ["a drain without reason says who did it", { sent: [ok(0)], now: 500, drain: drain(true, "") }, { state: "drained", reason: "drained by operator" }],
    ["an undrain entry changes nothing", { sent: [ok(0)], now: 500, drain: drain(false) }, { state: "up", load: 0.25, overloaded: false }],

    ["no report yet: unknown", { sent: [], now: 5000 }, { state: "unknown", reason: "no report yet" }],
    ["report exactly deadAfterMs old: still up", { sent: [ok(1000)], now: 4000 }, { state: "up", load: 0.25, overloaded: false }],
    ["report older than deadAfterMs: dead", { sent: [ok(1000)], now: 4001 }, { state: "dead", reason: "no report for 3001 ms" }],
    [
      "reporter's peer not live: dead even with a fresh report",
      { sent: [ok(1000)], now: 1000, reporterLive: false },
      { state: "dead", reason: "its reporter's node left" },
    ],

    [
      "panic passes through with its reason",
      { sent: [ok(0), { at: 1000, status: "panic", reason: "apache down" }], now: 1000 },
      { state: "panic", reason: "apache down" },
    ],
    ["panic without a reason says panic", { sent: [{ at: 0, status: "panic" }], now: 0 }, { state: "panic", reason: "panic" }],
    [
      "bypass passes through with its reason",
      { sent: [ok(0), { at: 1000, status: "bypass", reason: "reporter disabled" }], now: 1000 },
      { state: "bypass", reason: "reporter disabled" },
    ],
    ["bypass without a reason says bypass", { sent: [{ at: 0, status: "bypass" }], now: 0 }, { state: "bypass", reason: "bypass" }],

    [
      "tempfail reuses the last OK load while fresh",
      { sent: [ok(0, 8), { at: 1000, status: "tempfail", reason: "status page slow" }], now: 1000 },
      { state: "tempfail", load: 0.5, overloaded: false, reason: "status page slow" },
    ],
    [
      "tempfail: last OK exactly tempfailReuseMs old is still reused",
      { sent: [ok(0, 8), { at: 2500, status: "tempfail" }], now: 3000 },
      { state: "tempfail", load: 0.5, overloaded: false, reason: "tempfail" },
    ],
    [
      "tempfail: last OK older than tempfailReuseMs gives no load",
      { sent: [ok(0, 8), { at: 2000, status: "tempfail" }, { at: 3001, status: "tempfail", reason: "status page slow" }], now: 3001 },
      { state: "tempfail", reason: "status page slow; no recent figures to reuse" },
    ],
    [
      "tempfail with no OK report ever gives no load",
      { sent: [{ at: 0, status: "tempfail" }], now: 0 },
      { state: "tempfail", reason: "tempfail; no recent figures to reuse" },
    ],
    [
      "an OK report after tempfail brings the new load",
      { sent: [ok(0, 8), { at: 1000, status: "tempfail" }, ok(2000, 2)], now: 2000 },
      { state: "up", load: 0.125, overloaded: false },
    ],
  ];

  test.each(cases)("%s", (_what, c, expected) => {
    expect(viewOf(c)).toEqual(expected);
  });

  test("one view per configured server, in config order; a report for an unconfigured server is ignored", () => {
    const web2 = serverName("web-2");
    const servers: ServerSpec[] = [SERVERS[0] as ServerSpec, { name: web2, area: areaName("west"), addresses: ["192.0.2.2"] }];
    const rec = recordOf([ok(0)]) as ReportRecord;
    const records = new Map<ServerName, ReportRecord>([
      [WEB1, rec],
      [serverName("web-9"), rec],
    ]);
    const views = serverViews(servers, records, new Map(), () => true, 0, RULES);
    expect(views.map((v) => [v.name as string, v.cluster as string, v.state])).toEqual([
      ["web-1", "east", "up"],
      ["web-2", "west", "unknown"],
    ]);
  });
});

describe("recordReport", () => {
  test.each([
    ["an OK report sets lastGood to its load and the receive time", [{ at: 100, status: "ok", workers: [1, 4] }], { load: 0.25, atMs: 100 }],
    [
      "a non-OK report keeps the previous lastGood",
      [
        { at: 100, status: "ok", workers: [1, 4] },
        { at: 200, status: "tempfail" },
        { at: 300, status: "panic" },
      ],
      { load: 0.25, atMs: 100 },
    ],
    [
      "an OK report without figures records an unknown load",
      [
        { at: 100, status: "ok", workers: [1, 4] },
        { at: 200, status: "ok" },
      ],
      { load: undefined, atMs: 200 },
    ],
    ["no OK report: no lastGood", [{ at: 100, status: "tempfail" }], undefined],
  ] as [string, Sent[], ReportRecord["lastGood"]][])("%s", (_what, sent, lastGood) => {
    const rec = recordOf(sent);
    expect(rec?.lastGood).toEqual(lastGood as ReportRecord["lastGood"]);
    expect(rec?.receivedAtMs).toBe(sent[sent.length - 1]?.at as number);
  });
});

describe("isFunctioning / isBelowThreshold (threshold 0.8)", () => {
  const THRESHOLD = 0.8;
  // [state, load, functioning, below threshold]
  const table: [ServerState, number | undefined, boolean, boolean][] = [
    ["up", 0.5, true, true],
    ["up", 0.8, true, false], // at the threshold counts as overloaded
    ["up", 0.79, true, true],
    ["up", 2, true, false],
    ["up", undefined, true, false],
    ["tempfail", 0.5, true, true],
    ["tempfail", 0.9, true, false],
    ["tempfail", undefined, false, false],
    ["bypass", 0.1, false, false],
    ["bypass", undefined, false, false],
    ["panic", 0.1, false, false],
    ["drained", 0.1, false, false],
    ["dead", 0.1, false, false],
    ["unknown", 0.1, false, false],
  ];

  test.each(table)("%s with load %p → functioning %p, below %p", (state, load, functioning, below) => {
    const v: ServerView = { name: WEB1, cluster: areaName("east"), state, ...(load !== undefined ? { load } : {}) };
    expect([isFunctioning(v), isBelowThreshold(v, THRESHOLD)]).toEqual([functioning, below]);
  });
});

describe("serverViews: site.tempfail_reuse_ms apart from dead_after_ms", () => {
  // Reports keep arriving (not dead); only the age of the last OK figures decides reuse.
  const sent: Sent[] = [
    { at: 0, status: "ok", workers: [8, 16] },
    { at: 1000, status: "tempfail", reason: "starting" },
    { at: 2000, status: "tempfail", reason: "starting" },
  ];
  const stateAt = (tempfailReuseMs: number) => {
    const rec = recordOf(sent);
    const records = new Map<ServerName, ReportRecord>(rec ? [[WEB1, rec]] : []);
    const [v] = serverViews(SERVERS, records, new Map(), () => true, 2000, { ...RULES, tempfailReuseMs });
    return v && { state: v.state, load: v.load, functioning: isFunctioning(v) };
  };
  test.each<[number, { state: ServerView["state"]; load: number | undefined; functioning: boolean }]>([
    [2000, { state: "tempfail", load: 0.5, functioning: true }],
    [1999, { state: "tempfail", load: undefined, functioning: false }],
    [0, { state: "tempfail", load: undefined, functioning: false }],
    [60_000, { state: "tempfail", load: 0.5, functioning: true }],
  ])("last OK 2000 ms old, tempfail_reuse_ms %p", (reuseMs, expected) => {
    expect(stateAt(reuseMs)).toEqual(expected);
  });
});
