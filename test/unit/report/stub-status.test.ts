import { describe, expect, test } from "bun:test";
import { stubStatusStats } from "../../../src/report/nginx-source.ts";
import { parseStubStatus } from "../../../src/report/stub-status.ts";

const FIXTURES = `${import.meta.dir}/../../fixtures/stub-status`;
const fixture = (name: string) => Bun.file(`${FIXTURES}/${name}`).text();

describe("parseStubStatus on captured pages", () => {
  test("nginx 1.22, idle: only the status request itself", async () => {
    expect(parseStubStatus(await fixture("nginx-1.22-idle.txt"))).toEqual({
      ok: true,
      value: { active: 1, accepts: 1, handled: 1, requests: 1, reading: 0, writing: 1, waiting: 0 },
    });
  });

  test("a busy server", async () => {
    expect(parseStubStatus(await fixture("nginx-busy.txt"))).toEqual({
      ok: true,
      value: { active: 291, accepts: 16630948, handled: 16630948, requests: 31070465, reading: 6, writing: 179, waiting: 106 },
    });
  });

  test.each([
    ["truncated.txt", "truncated page (last line unfinished)"],
    ["html-404.txt", "HTML page, not stub_status (is stub_status on at this location?)"],
    ["garbled-counters.txt", 'counters line is not three whole numbers: " 10 10 many "'],
  ])("%s is refused: %s", async (name, error) => {
    expect(parseStubStatus(await fixture(name))).toEqual({ ok: false, error });
  });
});

describe("parseStubStatus on odd text", () => {
  const good = "Active connections: 2 \nserver accepts handled requests\n 5 5 9 \nReading: 0 Writing: 1 Waiting: 1 \n";
  test.each<[string, string, string]>([
    ["empty", "", "truncated page (last line unfinished)"],
    ["one line", "Active connections: 2\n", "expected 4 lines, got 1"],
    ["Apache's page instead", "Total Accesses: 1\nBusyWorkers: 1\nIdleWorkers: 2\nScoreboard: W__\n", 'no "Active connections" line: "Total Accesses: 1"'],
    ["negative active", good.replace("Active connections: 2", "Active connections: -2"), 'no "Active connections" line: "Active connections: -2 "'],
    ["states line missing Waiting", good.replace(" Waiting: 1", ""), 'no "Reading: Writing: Waiting:" line: "Reading: 0 Writing: 1 "'],
    ["header changed", good.replace("handled ", ""), 'no "server accepts handled requests" line: "server accepts requests"'],
    ["two counters", good.replace(" 5 5 9", " 5 9"), 'counters line is not three whole numbers: " 5 9 "'],
  ])("%s", (_what, text, error) => {
    expect(parseStubStatus(text)).toEqual({ ok: false, error });
  });

  test("CRLF line ends and no trailing spaces are fine", () => {
    const crlf = "Active connections: 2\r\nserver accepts handled requests\r\n5 5 9\r\nReading: 0 Writing: 1 Waiting: 1\r\n";
    expect(parseStubStatus(crlf)).toMatchObject({ ok: true, value: { active: 2, requests: 9, waiting: 1 } });
  });
});

describe("stubStatusStats: nginx figures as web statistics", () => {
  test("active connections over the stated capacity stand in for busy over max workers", async () => {
    expect(stubStatusStats(await fixture("nginx-busy.txt"), 1024)).toEqual({
      ok: true,
      value: { hits: 31070465, busyWorkers: 291, maxWorkers: 1024, reading: 6, writing: 179, waiting: 106 },
    });
  });
  test("a parse failure passes through", async () => {
    expect(stubStatusStats(await fixture("truncated.txt"), 1024)).toEqual({ ok: false, error: "truncated page (last line unfinished)" });
  });
});
