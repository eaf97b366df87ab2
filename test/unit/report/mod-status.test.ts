import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseModStatus } from "../../../src/report/mod-status.ts";

const fixture = (name: string) => readFileSync(`${import.meta.dir}/../../fixtures/mod-status/${name}`, "utf8");

const page = (lines: string[]) => `${lines.join("\n")}\n`;
const minimal = (over: Record<string, string> = {}) =>
  page(Object.entries({ "Total Accesses": "10", BusyWorkers: "2", IdleWorkers: "2", Scoreboard: "_WW_", ...over }).map(([k, v]) => `${k}: ${v}`));

function errorOf(text: string): string {
  const r = parseModStatus(text);
  if (r.ok) throw new Error(`parsed unexpectedly: ${JSON.stringify(r.value)}`);
  return r.error;
}

describe("parseModStatus: real pages", () => {
  test("Apache 2.4 event MPM with mod_ssl: every Scoreboard character is a slot (16 × ThreadLimit 64)", () => {
    expect(parseModStatus(fixture("apache-2.4-event.txt"))).toEqual({
      ok: true,
      value: { hits: 1480533, busyWorkers: 17, maxWorkers: 1024 },
    });
  });

  test("Apache 2.4 prefork", () => {
    expect(parseModStatus(fixture("apache-2.4-prefork.txt"))).toEqual({
      ok: true,
      value: { hits: 57, busyWorkers: 2, maxWorkers: 8 },
    });
  });

  test("CRLF line ends are tolerated", () => {
    expect(parseModStatus(minimal().replaceAll("\n", "\r\n"))).toEqual({
      ok: true,
      value: { hits: 10, busyWorkers: 2, maxWorkers: 4 },
    });
  });

  test("disabled slots (spaces) are not counted", () => {
    const r = parseModStatus(minimal({ Scoreboard: "_W  W_" }));
    expect(r.ok && r.value.maxWorkers).toBe(4);
  });
});

describe("parseModStatus: pages it refuses", () => {
  test.each([
    ["truncated mid-Scoreboard", fixture("truncated.txt"), "truncated page"],
    ["HTML instead of ?auto", fixture("html.txt"), "HTML page"],
    ["empty body", "", "truncated page"],
    ["no BusyWorkers", page(["Total Accesses: 1", "Scoreboard: __"]), "no BusyWorkers"],
    ["no Total Accesses", page(["BusyWorkers: 1", "Scoreboard: __"]), "no Total Accesses (is ExtendedStatus off?)"],
    ["no Scoreboard", page(["Total Accesses: 1", "BusyWorkers: 1", "IdleWorkers: 1"]), "no Scoreboard"],
    ["negative BusyWorkers", minimal({ BusyWorkers: "-3" }), "BusyWorkers is negative: -3"],
    ["non-numeric BusyWorkers", minimal({ BusyWorkers: "many" }), 'BusyWorkers is not a whole number: "many"'],
    ["fractional hits", minimal({ "Total Accesses": "1.5" }), "Total Accesses is not a whole number"],
    ["empty number", minimal({ BusyWorkers: " " }), "BusyWorkers is not a whole number"],
    ["garbled Scoreboard", minimal({ Scoreboard: "_W?x" }), "Scoreboard has unexpected characters"],
    ["blank Scoreboard", minimal({ Scoreboard: "   " }), "Scoreboard is empty"],
    ["more busy than slots", minimal({ BusyWorkers: "9" }), "BusyWorkers 9 exceeds the 4 Scoreboard slots"],
    ["repeated field", minimal() + "BusyWorkers: 1\n", "BusyWorkers appears twice"],
  ])("%s", (_, text, reason) => {
    expect(errorOf(text)).toContain(reason);
  });
});
