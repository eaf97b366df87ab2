import { describe, expect, test } from "bun:test";
import { loadFigure, loadTermValue, type LoadInputs } from "../../../src/assign/load.ts";
import { LOAD_TERMS, type HostStats, type LoadTerm, type WebStats } from "../../../src/core/types.ts";

const GiB = 2 ** 30;

/** An idle two-core host: every term of it is 0. */
const host = (over: Partial<HostStats> = {}): HostStats => ({
  durationMs: 1000,
  cpus: 2,
  cpuUser: 0,
  cpuSystem: 0,
  cpuIdle: 1,
  memTotalBytes: 4 * GiB,
  memFreeBytes: 4 * GiB,
  pagedOutBytes: 0,
  swapFreeBytes: GiB,
  runnable: 0,
  blocked: 0,
  ...over,
});
const web = (busyWorkers: number, maxWorkers: number): WebStats => ({ hits: 1000, busyWorkers, maxWorkers });

const ALL = LOAD_TERMS;

describe("loadTermValue", () => {
  // [what, term, inputs, value]
  const cases: [string, LoadTerm, LoadInputs, number | undefined][] = [
    ["workers 12 of 16", "workers", { web: web(12, 16) }, 0.75],
    ["workers all busy", "workers", { web: web(16, 16) }, 1],
    ["workers with maxWorkers 0 is skipped", "workers", { web: web(0, 0) }, undefined],
    ["workers without web figures is skipped", "workers", { host: host() }, undefined],
    ["cpu idle 0.1", "cpu", { host: host({ cpuIdle: 0.1 }) }, 0.9],
    ["cpu fully idle", "cpu", { host: host({ cpuIdle: 1 }) }, 0],
    ["cpu idle above 1 (rounding) clamps to 0", "cpu", { host: host({ cpuIdle: 1.02 }) }, 0],
    ["cpu idle below 0 clamps to 1", "cpu", { host: host({ cpuIdle: -0.01 }) }, 1],
    ["cpu without host figures is skipped", "cpu", { web: web(1, 2) }, undefined],
    ["runqueue 8 on 2 cores (not capped)", "runqueue", { host: host({ runnable: 8, cpus: 2 }) }, 2],
    ["runqueue 2 on 2 cores", "runqueue", { host: host({ runnable: 2, cpus: 2 }) }, 0.5],
    ["runqueue with 0 cores is skipped", "runqueue", { host: host({ runnable: 3, cpus: 0 }) }, undefined],
    ["memory 1 GiB free of 4", "memory", { host: host({ memFreeBytes: GiB, memTotalBytes: 4 * GiB }) }, 0.75],
    ["memory all free", "memory", { host: host() }, 0],
    ["memory free above total clamps to 0", "memory", { host: host({ memFreeBytes: 5 * GiB }) }, 0],
    ["memory with total 0 is skipped", "memory", { host: host({ memTotalBytes: 0, memFreeBytes: 0 }) }, undefined],
  ];

  test.each(cases)("%s", (_what, term, inputs, value) => {
    const v = loadTermValue(term, inputs);
    if (value === undefined) expect(v).toBeUndefined();
    else expect(v).toBeCloseTo(value, 12);
  });
});

describe("loadFigure", () => {
  // [what, inputs, terms, load]
  const cases: [string, LoadInputs, readonly LoadTerm[], number | undefined][] = [
    ["idle server", { host: host(), web: web(0, 16) }, ALL, 0],
    ["workers alone: 12/16", { host: host(), web: web(12, 16) }, ALL, 0.75],
    ["cpu alone: idle 0.1", { host: host({ cpuIdle: 0.1 }), web: web(0, 16) }, ALL, 0.9],
    ["runqueue alone: 8 on 2 cores", { host: host({ runnable: 8 }), web: web(0, 16) }, ALL, 2],
    ["memory alone: 1 GiB free of 4", { host: host({ memFreeBytes: GiB }), web: web(0, 16) }, ALL, 0.75],
    ["the worst term wins, not a mean", { host: host({ cpuIdle: 0.9, runnable: 1, memFreeBytes: 3 * GiB }), web: web(15, 16) }, ALL, 15 / 16],
    ["a term left out of the site's terms does not count", { host: host({ runnable: 8 }), web: web(4, 16) }, ["workers", "cpu", "memory"], 0.25],
    ["only the workers term", { host: host({ cpuIdle: 0 }), web: web(8, 16) }, ["workers"], 0.5],
    ["missing web figures skip the workers term", { host: host({ cpuIdle: 0.6 }) }, ALL, 0.4],
    ["missing host figures skip the host terms", { web: web(3, 4) }, ALL, 0.75],
    ["maxWorkers 0 skips workers; host terms still count", { host: host({ memFreeBytes: 2 * GiB }), web: web(5, 0) }, ALL, 0.5],
    ["no figures at all: undefined", {}, ALL, undefined],
    ["only web figures but only host terms: undefined", { web: web(3, 4) }, ["cpu", "runqueue", "memory"], undefined],
    ["maxWorkers 0 and workers the only term: undefined", { host: host(), web: web(0, 0) }, ["workers"], undefined],
    ["no terms: undefined", { host: host({ cpuIdle: 0 }), web: web(16, 16) }, [], undefined],
  ];

  test.each(cases)("%s", (_what, inputs, terms, load) => {
    const v = loadFigure(inputs, terms);
    if (load === undefined) expect(v).toBeUndefined();
    else expect(v).toBeCloseTo(load, 12);
  });
});

describe("the README's table of examples", () => {
  const MiB = 2 ** 20;
  // [row as written in README "Load figure", inputs, load shown there (rounded to 2 places)]
  const rows: [string, LoadInputs, number][] = [
    ["Apache: 12 of 16 workers busy, CPU 30 % busy", { host: host({ cpuIdle: 0.7 }), web: web(12, 16) }, 0.75],
    ["Apache: 4 of 16 workers, CPU 90 % busy", { host: host({ cpuIdle: 0.1 }), web: web(4, 16) }, 0.9],
    ["nginx: 600 active connections, capacity = 1024, CPU 20 % busy", { host: host({ cpuIdle: 0.8 }), web: web(600, 1024) }, 0.59],
    ["nginx: 1000 active of 1024", { host: host(), web: web(1000, 1024) }, 0.98],
    ["8 runnable on 2 cores", { host: host({ runnable: 8 }) }, 2],
    ["1 GiB available of 4 GiB", { host: host({ memFreeBytes: GiB }) }, 0.75],
    [
      "container: 512 MiB memory.max, 448 MiB charged of which 160 MiB inactive cache",
      { host: host({ memTotalBytes: 512 * MiB, memFreeBytes: 224 * MiB }) },
      0.56,
    ],
    ["http or tcp probe: only host terms, CPU 50 % busy", { host: host({ cpuIdle: 0.5 }) }, 0.5],
  ];
  test.each(rows)("%s", (_row, inputs, load) => {
    expect(Number(loadFigure(inputs, ALL)?.toFixed(2))).toBe(load);
  });

  test("every row is in the README", async () => {
    const readme = await Bun.file(`${import.meta.dir}/../../../README.md`).text();
    for (const [row] of rows)
      expect(readme).toContain(`| ${row.replace("capacity = 1024", "`capacity = 1024`").replace("512 MiB memory.max", "512 MiB `memory.max`")} |`);
  });
});
