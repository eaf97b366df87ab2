import { expect, test } from "bun:test";
import { createLogger, redact, type LoggerOptions } from "../../../src/core/log.ts";

function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  let now = 1_700_000_000_000;
  const log = createLogger({ json: true, level: "debug", write: (l) => lines.push(l), now: () => now, ...opts }, "controller");
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), advance: (ms: number) => (now += ms) };
}

test("JSON lines carry time, level, scope, message and fields", () => {
  const c = capture();
  c.log.scope("nameserver").info("answering DNS", { area: "east" });
  expect(c.records()).toEqual([{ time: "2023-11-14T22:13:20.000Z", level: "info", scope: "nameserver", msg: "answering DNS", area: "east" }]);
});

test("below the level nothing is written", () => {
  const c = capture({ level: "warn" });
  c.log.info("x");
  c.log.debug("y");
  c.log.warn("z");
  expect(c.records().map((r) => r.msg)).toEqual(["z"]);
});

test("a repeated warning is printed `burst` times a window, then counted on the next line", () => {
  const c = capture({ burst: 2, windowMs: 60_000 });
  for (let i = 0; i < 5; i++) c.log.warn("dns error", { error: `boom ${i}` });
  expect(c.records().map((r) => r.error)).toEqual(["boom 0", "boom 1"]);
  c.advance(60_000);
  c.log.warn("dns error", { error: "boom 5" });
  expect(c.records().at(-1)).toMatchObject({ error: "boom 5", suppressed: 3 });
  c.log.warn("dns error", { error: "boom 6" });
  expect(c.records().at(-1)?.suppressed).toBeUndefined();
});

test("info lines with different fields are different events and all printed", () => {
  const c = capture({ burst: 1 });
  for (let e = 1; e <= 3; e++) c.log.info("following the master's assignments", { epoch: e });
  c.log.info("following the master's assignments", { epoch: 3 });
  expect(c.records().map((r) => r.epoch)).toEqual([1, 2, 3]);
});

test("secrets are never written: secret-named fields and credentials in URLs", () => {
  const c = capture();
  c.log.error("cannot post", {
    secret: "s3cr3t",
    apiKey: "k",
    authorization: "Bearer t",
    url: "https://user:pw@hooks.example/x",
    error: new Error("fetch https://bob:hunter2@h/ failed"),
  });
  const line = c.lines[0] ?? "";
  for (const leaked of ["s3cr3t", "Bearer t", "pw@", "hunter2", '"k"']) expect(line).not.toContain(leaked);
  expect(c.records()[0]).toMatchObject({ secret: "[redacted]", url: "https://[redacted]@hooks.example/x", error: "fetch https://[redacted]@h/ failed" });
  expect(redact("server", "web-east-1")).toBe("web-east-1");
});

test("on a terminal the line is human text", () => {
  const c = capture({ json: false });
  c.log.warn("report late", { server: "web-east-1", ageMs: 3200 });
  expect(c.lines[0]).toBe("22:13:20.000 WARN  [controller] report late server=web-east-1 ageMs=3200");
});
