import { describe, expect, test } from "bun:test";
import type { HostStats, ReportStatus } from "../../../src/core/types.ts";
import type { Collection } from "../../../src/report/collect.ts";
import { initialVerdict, judge, type VerdictRules } from "../../../src/report/verdict.ts";

const HOST: HostStats = {
  durationMs: 60_000,
  cpus: 2,
  cpuUser: 0.2,
  cpuSystem: 0.1,
  cpuIdle: 0.7,
  memTotalBytes: 8 << 30,
  memFreeBytes: 4 << 30,
  pagedOutBytes: 0,
  swapFreeBytes: 1 << 30,
  runnable: 1,
  blocked: 0,
};
const WEB = { hits: 100, busyWorkers: 3, maxWorkers: 16 };

const UP = { state: "up", stats: WEB } as const;

// One letter per probe keeps the tables readable.
const probes: Record<string, Collection> = {
  s: { host: null, hostError: "first sample: no interval measured yet", web: UP }, // start-up
  g: { host: HOST, web: UP }, // good
  h: { host: HOST, web: { state: "up" } }, // good, from a probe with no figures (http, tcp)
  x: { host: HOST, web: { state: "down", error: "connection refused" } }, // web server down
  t: { host: HOST, web: { state: "down", error: "timeout after 800 ms" } },
  u: { host: HOST, web: { state: "unreadable", error: "parse: no BusyWorkers" } }, // unreadable page
  w: { host: { ...HOST, pagedOutBytes: 8192 }, web: UP }, // swapping
  p: { host: null, hostError: "cannot read /proc: EACCES", web: UP }, // /proc unreadable
  c: { host: HOST, web: UP, bypassError: "bypass_command exited with status 1: db unreachable" }, // operator's check failed
  d: { host: HOST, web: { state: "down", error: "HTTP 503" }, bypassError: "bypass_command timed out after 800 ms" },
};

function run(seq: string, rules: VerdictRules = { fallCount: 2, riseCount: 2 }) {
  let mem = initialVerdict();
  return [...seq].map((letter) => {
    const c = probes[letter];
    if (c === undefined) throw new Error(`no probe "${letter}"`);
    const v = judge(mem, c, rules);
    mem = v.memory;
    return v;
  });
}

const statuses = (seq: string, rules?: VerdictRules) => run(seq, rules).map((v) => v.status);

const O: ReportStatus = "ok";
const T: ReportStatus = "tempfail";
const B: ReportStatus = "bypass";
const P: ReportStatus = "panic";

describe("judge: sequences of probes (fallCount 2, riseCount 2)", () => {
  test.each<[string, string, ReportStatus[]]>([
    ["start-up waits for a full interval", "sgg", [T, O, O]],
    ["one failure then recovery never panics", "gxg", [O, T, O]],
    ["failures broken by a good probe never panic", "gxgxgx", [O, T, O, T, O, T]],
    ["panic after exactly fallCount failures", "gxx", [O, T, P]],
    ["timeouts count like refusals", "gxt", [O, T, P]],
    ["panic stays while failing", "gxxxx", [O, T, P, P, P]],
    ["clears after riseCount good probes", "gxxgg", [O, T, P, P, O]],
    ["a failure during recovery restarts the count", "gxxgxgg", [O, T, P, P, P, P, O]],
    ["an unreadable page proves nothing toward recovery", "gxxgug", [O, T, P, P, P, P]],
    ["an unreadable page breaks a run of failures", "gxuxg", [O, T, T, T, O]],
    ["swap-out is bypass", "gwg", [O, B, O]],
    ["panic beats bypass", "xxw", [T, P, P]],
    ["bypass beats a first failure", "gw", [O, B]],
    ["/proc unreadable is tempfail", "gpg", [O, T, O]],
    ["panics even before a full interval", "sxx", [T, T, P]],
    ["a probe without figures is a good probe", "xxhh", [T, P, P, O]],
    ["a failed bypass command is bypass", "gcg", [O, B, O]],
    ["panic beats a failed bypass command", "ddd", [B, P, P]],
    ["bypass command failures do not count toward panic", "cccxg", [B, B, B, T, O]],
  ])("%s: %s", (_, seq, expected) => {
    expect(statuses(seq)).toEqual(expected);
  });
});

describe("judge: rules", () => {
  test("fallCount 1 panics on the first failure; riseCount 1 clears on the first good probe", () => {
    expect(statuses("gxg", { fallCount: 1, riseCount: 1 })).toEqual([O, P, O]);
  });

  test("fallCount 3 tolerates two failures", () => {
    expect(statuses("xxgxxx", { fallCount: 3, riseCount: 1 })).toEqual([T, T, O, T, T, P]);
  });

  test("riseCount 3 needs three good probes", () => {
    expect(statuses("xxggg", { fallCount: 2, riseCount: 3 })).toEqual([T, P, P, P, O]);
  });
});

describe("judge: reasons", () => {
  const reasons = (seq: string) => run(seq).map((v) => v.reason);

  test("panic names the last error, also while recovering", () => {
    expect(reasons("xtg")).toEqual([
      "web: connection refused (1/2 failed probes)",
      "web server down: timeout after 800 ms",
      "web server down: timeout after 800 ms (recovering, 1/2 good probes)",
    ]);
  });

  test("tempfail says why; ok has no reason", () => {
    expect(reasons("sugpg")).toEqual([
      "starting: first sample: no interval measured yet",
      "web: parse: no BusyWorkers",
      undefined,
      "host: cannot read /proc: EACCES",
      undefined,
    ]);
  });

  test("bypass gives the amount paged out", () => {
    expect(reasons("w")).toEqual(["paged out 8192 bytes in 60 s"]);
  });

  test("bypass names the command's failure", () => {
    expect(reasons("c")).toEqual(["bypass_command exited with status 1: db unreachable"]);
  });

  test("judge does not change the memory it was given", () => {
    const mem = initialVerdict();
    judge(mem, probes.x as Collection, { fallCount: 1, riseCount: 1 });
    expect(mem).toEqual(initialVerdict());
  });
});
