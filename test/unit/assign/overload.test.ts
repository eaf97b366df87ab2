import { describe, expect, test } from "bun:test";
import { decide } from "../../../src/assign/decide.ts";
import { overloadedAfter } from "../../../src/assign/overload.ts";
import { recordReport, serverViews, type ReportRecord } from "../../../src/assign/server-view.ts";
import { areaName, peerIdText, serverName, type Report, type ServerName, type ServerSpec } from "../../../src/core/types.ts";

const RULES = { loadThreshold: 0.8, loadHysteresis: 0.1 };

describe("overloadedAfter: leave at the threshold, return below threshold − hysteresis", () => {
  test.each([
    [undefined, 0.79, false],
    [undefined, 0.8, true],
    [false, 0.75, false],
    [true, 0.79, true],
    [true, 0.71, true],
    [true, 0.69, false],
    [true, undefined, undefined],
  ] as [boolean | undefined, number | undefined, boolean | undefined][])("was %p, load %p → %p", (was, load, expected) => {
    expect(overloadedAfter(was, load, RULES)).toBe(expected);
  });
  test("hysteresis 0 is the plain threshold", () => {
    expect(overloadedAfter(true, 0.79, { ...RULES, loadHysteresis: 0 })).toBe(false);
  });
});

describe("a load oscillating across the threshold", () => {
  const east = areaName("east");
  const servers: ServerSpec[] = ["web-1", "web-2"].map((n, i) => ({ name: serverName(n), area: east, addresses: [`192.0.2.${i + 1}`] }));
  const peer = peerIdText("12D3KooWReporter");
  const report = (server: ServerName, seq: number, busy: number): Report => ({
    server,
    seq,
    atMs: seq * 1000,
    status: "ok",
    web: { hits: 0, busyWorkers: busy, maxWorkers: 100 },
  });

  /** Answer changes over 20 reports of web-1 at 76 %, 84 %, 76 %, …, web-2 steady at 30 %. */
  function answerChanges(loadHysteresis: number): number {
    const records = new Map<ServerName, ReportRecord>();
    let answered = "";
    let changes = 0;
    for (let seq = 1; seq <= 20; seq++) {
      const now = seq * 1000;
      const rules = { loadTerms: ["workers" as const], loadThreshold: 0.8, loadHysteresis };
      records.set(servers[0]!.name, recordReport(records.get(servers[0]!.name), report(servers[0]!.name, seq, seq % 2 ? 76 : 84), peer, now, rules));
      records.set(servers[1]!.name, recordReport(records.get(servers[1]!.name), report(servers[1]!.name, seq, 30), peer, now, rules));
      const views = serverViews(servers, records, new Map(), () => true, now, { loadTerms: rules.loadTerms, deadAfterMs: 5000, tempfailReuseMs: 5000 });
      const d = decide({ areas: [east], servers: views, previous: new Map(), threshold: 0.8, margin: 0.2 });
      const nowAnswered = [...d.areas[0]!.servers].sort().join(",");
      if (answered && nowAnswered !== answered) changes++;
      answered = nowAnswered;
    }
    return changes;
  }

  test("without hysteresis the server leaves and returns at every report", () => {
    expect(answerChanges(0)).toBe(19);
  });
  test("with hysteresis 0.1 it leaves once and stays out while it hovers", () => {
    expect(answerChanges(0.1)).toBe(1);
  });
});
