import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostStatsBetween, pageSizeFromAuxv, parseMeminfo, parseProcSample, parseStat, parseVmstat, type ProcSample } from "../../../src/report/proc.ts";

const FIXTURES = `${import.meta.dir}/../../fixtures/proc`;
const read = (box: string, file: string) => readFileSync(`${FIXTURES}/${box}/${file}`, "utf8");
const files = (box: string) => ({ stat: read(box, "stat"), meminfo: read(box, "meminfo"), vmstat: read(box, "vmstat") });

function sample(box: string, atMs: number): ProcSample {
  const r = parseProcSample(files(box), atMs);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const KiB = 1024;

describe("parseStat", () => {
  test("this machine: folds nice into user, irq/softirq/steal into system, iowait into idle", () => {
    const r = parseStat(read("captured-t0", "stat"));
    expect(r).toEqual({
      ok: true,
      // cpu  2953 0 1565 60904 198 0 83 9 0 0
      value: { ticks: { user: 2953, system: 1565 + 83 + 9, idle: 60904 + 198 }, cpus: 2, runnable: 1, blocked: 0 },
    });
  });

  test("old kernel: 9-field cpu line, four cores, blocked tasks", () => {
    const r = parseStat(read("old-kernel", "stat"));
    expect(r.ok && r.value).toEqual({
      ticks: { user: 1843205 + 10422, system: 402113 + 1203 + 30551, idle: 98341207 + 88214 },
      cpus: 4,
      runnable: 3,
      blocked: 1,
    });
  });

  test("single-CPU box counts one core", () => {
    const r = parseStat(read("single-cpu", "stat"));
    expect(r.ok && r.value.cpus).toBe(1);
  });

  test("2.4-era cpu line with only four fields still parses", () => {
    const r = parseStat("cpu 10 2 3 40\ncpu0 10 2 3 40\nprocs_running 1\nprocs_blocked 0\n");
    expect(r.ok && r.value.ticks).toEqual({ user: 12, system: 3, idle: 40 });
  });

  test.each([
    ["missing procs_blocked", read("no-procs-blocked", "stat"), "no procs_blocked"],
    ["empty file", "", "no aggregate cpu line"],
    ["garbled cpu line", "cpu 1 2 x 4\ncpu0 1 2 3 4\n", "garbled cpu line"],
    ["negative ticks", "cpu 1 2 -3 4\ncpu0 1 2 3 4\n", "garbled cpu line"],
    ["too few fields", "cpu 1 2 3\ncpu0 1 2 3\n", "garbled cpu line"],
    ["no per-cpu lines", "cpu 1 2 3 4\nprocs_running 1\nprocs_blocked 0\n", "no cpuN lines"],
    ["no procs_running", "cpu 1 2 3 4\ncpu0 1 2 3 4\nprocs_blocked 0\n", "no procs_running"],
  ])("%s is an error", (_, text, reason) => {
    const r = parseStat(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });
});

describe("parseMeminfo", () => {
  test("this machine: MemAvailable is free memory; no swap means SwapFree 0", () => {
    expect(parseMeminfo(read("captured-t0", "meminfo"))).toEqual({
      ok: true,
      value: { memTotalBytes: 24683656 * KiB, memFreeBytes: 24375328 * KiB, swapFreeBytes: 0 },
    });
  });

  test("old kernel without MemAvailable falls back to MemFree+Buffers+Cached", () => {
    const r = parseMeminfo(read("old-kernel", "meminfo"));
    expect(r.ok && r.value).toEqual({
      memTotalBytes: 8061328 * KiB,
      memFreeBytes: (212440 + 184212 + 1920476) * KiB,
      swapFreeBytes: 3708120 * KiB,
    });
  });

  test("swap switched off: SwapTotal 0", () => {
    const r = parseMeminfo(read("no-swap", "meminfo"));
    expect(r.ok && r.value.swapFreeBytes).toBe(0);
  });

  test("no SwapFree line at all counts as no swap", () => {
    const r = parseMeminfo("MemTotal: 100 kB\nMemAvailable: 40 kB\n");
    expect(r.ok && r.value).toEqual({ memTotalBytes: 100 * KiB, memFreeBytes: 40 * KiB, swapFreeBytes: 0 });
  });

  test.each([
    ["no MemTotal", "MemAvailable: 40 kB\n", "no MemTotal"],
    ["no unit", "MemTotal: 100\nMemAvailable: 40\n", "no MemTotal"],
    ["neither estimate", "MemTotal: 100 kB\nMemFree: 10 kB\nCached: 5 kB\n", "neither MemAvailable"],
    ["garbled number", "MemTotal: 1O0 kB\nMemAvailable: 40 kB\n", "no MemTotal"],
  ])("%s is an error", (_, text, reason) => {
    const r = parseMeminfo(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
  });
});

describe("parseVmstat", () => {
  test("reads pswpout, not pgpgout", () => {
    expect(parseVmstat(read("old-kernel", "vmstat"))).toEqual({ ok: true, value: { pagesSwappedOut: 151932 } });
  });

  test("missing pswpout is an error", () => {
    expect(parseVmstat("pgpgout 5\npswpin 0\n")).toEqual({ ok: false, error: "/proc/vmstat: no pswpout" });
  });

  test("pswpout is not mistaken for a longer name", () => {
    expect(parseVmstat("pswpout_total 9\n").ok).toBe(false);
  });
});

describe("parseProcSample", () => {
  test("names the file that failed", () => {
    const r = parseProcSample({ ...files("captured-t0"), meminfo: "garbage" }, 0);
    expect(r).toEqual({ ok: false, error: "/proc/meminfo: no MemTotal" });
  });
});

describe("hostStatsBetween", () => {
  test("two captures of this machine ~2 s apart under a one-core busy loop", () => {
    const h = hostStatsBetween(sample("captured-t0", 1_000), sample("captured-t1", 3_200), 4096);
    // deltas: user 200, system 1, idle 240 ticks
    expect(h.durationMs).toBe(2_200);
    expect(h.cpus).toBe(2);
    expect(h.cpuUser).toBeCloseTo(200 / 441, 9);
    expect(h.cpuSystem).toBeCloseTo(1 / 441, 9);
    expect(h.cpuIdle).toBeCloseTo(240 / 441, 9);
    expect(h.cpuUser + h.cpuSystem + h.cpuIdle).toBeCloseTo(1, 9);
    expect(h.pagedOutBytes).toBe(0);
    expect(h.runnable).toBe(2); // from the later sample
    expect(h.blocked).toBe(0);
    expect(h.memTotalBytes).toBe(24683656 * KiB);
  });

  test("pages swapped out over the interval times the page size", () => {
    const prev = sample("old-kernel", 0);
    const cur = { ...prev, atMs: 60_000, pagesSwappedOut: prev.pagesSwappedOut + 25 };
    expect(hostStatsBetween(prev, cur, 4096).pagedOutBytes).toBe(25 * 4096);
    expect(hostStatsBetween(prev, cur, 65536).pagedOutBytes).toBe(25 * 65536);
  });

  test("swap switched off: old swap-outs before the interval do not count", () => {
    const s = sample("no-swap", 0);
    expect(s.pagesSwappedOut).toBeGreaterThan(0);
    expect(hostStatsBetween(s, { ...s, atMs: 1000 }, 4096).pagedOutBytes).toBe(0);
  });

  test("no ticks elapsed reads as fully idle", () => {
    const s = sample("single-cpu", 0);
    const h = hostStatsBetween(s, { ...s, atMs: 5 }, 4096);
    expect([h.cpuUser, h.cpuSystem, h.cpuIdle]).toEqual([0, 0, 1]);
  });

  test("a counter that went backwards (CPU hot-unplug) counts as no work", () => {
    const prev = sample("single-cpu", 0);
    const cur = {
      ...prev,
      atMs: 1000,
      ticks: { user: prev.ticks.user - 50, system: prev.ticks.system + 10, idle: prev.ticks.idle + 30 },
    };
    const h = hostStatsBetween(prev, cur, 4096);
    expect(h.cpuUser).toBe(0);
    expect(h.cpuSystem).toBeCloseTo(10 / 40, 9);
    expect(h.cpuIdle).toBeCloseTo(30 / 40, 9);
  });
});

describe("pageSizeFromAuxv", () => {
  const auxv = (...pairs: [number, number][]) => {
    const view = new DataView(new ArrayBuffer(pairs.length * 16));
    pairs.forEach(([type, value], i) => {
      view.setBigUint64(i * 16, BigInt(type), true);
      view.setBigUint64(i * 16 + 8, BigInt(value), true);
    });
    return new Uint8Array(view.buffer);
  };

  test("finds AT_PAGESZ among other entries", () => {
    expect(pageSizeFromAuxv(auxv([33, 0x7fff0000], [16, 0xbfebfbff], [6, 65536], [0, 0]))).toBe(65536);
  });

  test("implausible or missing values give undefined", () => {
    expect(pageSizeFromAuxv(auxv([6, 3000]))).toBeUndefined();
    expect(pageSizeFromAuxv(auxv([16, 1], [0, 0]))).toBeUndefined();
    expect(pageSizeFromAuxv(new Uint8Array(7))).toBeUndefined();
  });

  test("this machine's own auxv agrees with getconf PAGESIZE", () => {
    const expected = Number(Bun.spawnSync(["getconf", "PAGESIZE"]).stdout.toString().trim());
    expect(pageSizeFromAuxv(readFileSync("/proc/self/auxv"))).toBe(expected);
  });
});
