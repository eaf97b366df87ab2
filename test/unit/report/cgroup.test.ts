import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { cgroupV2Path, limitHostStats, parseCgroupSample, parseCpuMax, type CgroupFiles, type CgroupSample } from "../../../src/report/cgroup.ts";
import type { HostStats } from "../../../src/core/types.ts";

const FIXTURES = `${import.meta.dir}/../../fixtures/cgroup`;
const NAMES: Record<string, keyof CgroupFiles> = {
  "cpu.max": "cpuMax",
  "cpu.stat": "cpuStat",
  "memory.max": "memoryMax",
  "memory.current": "memoryCurrent",
  "memory.stat": "memoryStat",
};

/** A captured cgroup directory as the texts parseCgroupSample takes. */
async function filesOf(dir: string): Promise<CgroupFiles> {
  const files: CgroupFiles = {};
  for (const name of readdirSync(`${FIXTURES}/${dir}`)) {
    const key = NAMES[name];
    if (key) files[key] = await Bun.file(`${FIXTURES}/${dir}/${name}`).text();
  }
  return files;
}

async function sampleOf(dir: string, atMs: number): Promise<CgroupSample> {
  const p = parseCgroupSample(await filesOf(dir), atMs);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

const MiB = 2 ** 20;
/** A two-core host with 8 GiB, 6 GiB of it available, CPU 10 % busy. */
const HOST: HostStats = {
  durationMs: 1000,
  cpus: 2,
  cpuUser: 0.06,
  cpuSystem: 0.04,
  cpuIdle: 0.9,
  memTotalBytes: 8192 * MiB,
  memFreeBytes: 6144 * MiB,
  pagedOutBytes: 0,
  swapFreeBytes: 0,
  runnable: 3,
  blocked: 0,
};

describe("cgroupV2Path", () => {
  test.each<[string, string, string | undefined]>([
    ["a v2-only container", "0::/\n", "/"],
    ["a systemd service", "0::/system.slice/walrus.service\n", "/system.slice/walrus.service"],
    ["a hybrid host: v1 controllers plus the v2 line", "4:memory:/x\n1:cpu:/\n0::/user.slice\n", "/user.slice"],
    ["a v1-only host", "4:memory:/x\n1:cpu,cpuacct:/\n", undefined],
    ["empty", "", undefined],
  ])("%s", (_what, text, path) => {
    expect(cgroupV2Path(text)).toBe(path);
  });
});

describe("parseCpuMax", () => {
  test.each<[string, string, ReturnType<typeof parseCpuMax>]>([
    ["1.5 cores", "150000 100000\n", { ok: true, value: 1.5 }],
    ["unlimited", "max 100000\n", { ok: true, value: undefined }],
    ["a quarter core, odd period", "25000 100000", { ok: true, value: 0.25 }],
    ["no period", "150000\n", { ok: false, error: 'cpu.max: expected "QUOTA PERIOD", got "150000"' }],
    ["zero period", "1000 0\n", { ok: false, error: 'cpu.max: expected "QUOTA PERIOD", got "1000 0"' }],
    ["word for a quota", "lots 100000\n", { ok: false, error: 'cpu.max: quota is not a number: "lots"' }],
    ["extra field", "1 2 3\n", { ok: false, error: 'cpu.max: expected "QUOTA PERIOD", got "1 2 3"' }],
  ])("%s", (_what, text, expected) => {
    expect(parseCpuMax(text)).toEqual(expected);
  });
});

describe("parseCgroupSample on captured directories", () => {
  test("a container with 1.5 cores and 512 MiB", async () => {
    expect(await sampleOf("container-t1", 5)).toEqual({
      atMs: 5,
      cpuLimitCores: 1.5,
      cpuUserUsec: 61_050_000,
      cpuSystemUsec: 21_384_000,
      memLimitBytes: 512 * MiB,
      memCurrentBytes: 448 * MiB,
      inactiveFileBytes: 160 * MiB,
    });
  });
  test("no limits: nothing to apply", async () => {
    expect(await sampleOf("unlimited", 5)).toEqual({ atMs: 5, cpuUserUsec: 3000, cpuSystemUsec: 2000, memCurrentBytes: 70 * MiB });
  });
  test("no files at all (a v1 host): an empty sample", () => {
    expect(parseCgroupSample({}, 5)).toEqual({ ok: true, value: { atMs: 5 } });
  });
  test.each<[string, CgroupFiles, string]>([
    ["a garbled cpu.max", { cpuMax: "lots 100000\n" }, 'cpu.max: quota is not a number: "lots"'],
    ["memory.max a word", { memoryMax: "unlimited\n" }, 'memory.max: expected bytes or "max", got "unlimited"'],
    ["cpu.stat without user_usec", { cpuStat: "usage_usec 5\n" }, "cpu.stat: no user_usec or system_usec"],
    ["cpu.stat with a garbled line", { cpuStat: "usage_usec five\n" }, 'cpu.stat: garbled line "usage_usec five"'],
    ["memory.stat with a garbled line", { memoryStat: "anon 1 2\n" }, 'memory.stat: garbled line "anon 1 2"'],
  ])("%s is refused", (_what, files, error) => {
    expect(parseCgroupSample(files, 0)).toEqual({ ok: false, error });
  });
});

describe("limitHostStats", () => {
  test("a container at 1.05 + 0.15 of its 1.5 cores over 1 s: shares of the quota; memory of the limit", async () => {
    const h = limitHostStats(HOST, await sampleOf("container-t0", 0), await sampleOf("container-t1", 1000));
    expect(h.cpuUser).toBeCloseTo(0.7, 12);
    expect(h.cpuSystem).toBeCloseTo(0.1, 12);
    expect(h.cpuIdle).toBeCloseTo(0.2, 12);
    // 512 MiB limit − (448 MiB charged − 160 MiB inactive page cache) = 224 MiB
    expect([h.memTotalBytes, h.memFreeBytes]).toEqual([512 * MiB, 224 * MiB]);
    // Host-wide figures stay: the kernel has no per-cgroup run queue.
    expect([h.cpus, h.runnable, h.blocked, h.pagedOutBytes, h.durationMs]).toEqual([2, 3, 0, 0, 1000]);
  });

  test("no limits: the host figures unchanged", async () => {
    expect(limitHostStats(HOST, await sampleOf("unlimited", 0), await sampleOf("unlimited", 1000))).toEqual(HOST);
  });

  test("a quota at or above the host's cores changes nothing", () => {
    const s = (atMs: number, user: number): CgroupSample => ({ atMs, cpuLimitCores: 4, cpuUserUsec: user, cpuSystemUsec: 0 });
    expect(limitHostStats(HOST, s(0, 0), s(1000, 3_000_000))).toEqual(HOST);
  });

  test("a memory limit above the host's memory changes nothing", () => {
    const s: CgroupSample = { atMs: 0, memLimitBytes: 16384 * MiB, memCurrentBytes: 100 * MiB };
    expect(limitHostStats(HOST, s, { ...s, atMs: 1000 })).toEqual(HOST);
  });

  test("memory-only limits: CPU stays the host's", async () => {
    const h = limitHostStats(HOST, await sampleOf("memory-only", 0), await sampleOf("memory-only", 1000));
    expect([h.cpuUser, h.cpuIdle, h.memTotalBytes, h.memFreeBytes]).toEqual([0.06, 0.9, 256 * MiB, 128 * MiB]);
  });

  test("free never exceeds what the host has free", () => {
    const s: CgroupSample = { atMs: 0, memLimitBytes: 4096 * MiB, memCurrentBytes: 0 };
    const h = limitHostStats({ ...HOST, memFreeBytes: 1024 * MiB }, s, { ...s, atMs: 1000 });
    expect(h.memFreeBytes).toBe(1024 * MiB);
  });

  test("a working set over the limit reads as nothing free, not negative", () => {
    const s: CgroupSample = { atMs: 0, memLimitBytes: 256 * MiB, memCurrentBytes: 300 * MiB, inactiveFileBytes: 0 };
    expect(limitHostStats(HOST, s, { ...s, atMs: 1000 }).memFreeBytes).toBe(0);
  });

  test("throttled past the quota (usage counters ahead of the clock) clamps to fully busy", () => {
    const s = (atMs: number, user: number, system: number): CgroupSample => ({ atMs, cpuLimitCores: 1, cpuUserUsec: user, cpuSystemUsec: system });
    const h = limitHostStats(HOST, s(0, 0, 0), s(1000, 900_000, 300_000));
    expect(h.cpuUser).toBe(0.9);
    expect(h.cpuSystem).toBeCloseTo(0.1, 12);
    expect(h.cpuIdle).toBeCloseTo(0, 12);
  });

  test("counters that went back (cgroup recreated) read as idle, not negative", () => {
    const s = (atMs: number, user: number): CgroupSample => ({ atMs, cpuLimitCores: 1, cpuUserUsec: user, cpuSystemUsec: 0 });
    const h = limitHostStats(HOST, s(0, 5_000_000), s(1000, 10));
    expect([h.cpuUser, h.cpuSystem, h.cpuIdle]).toEqual([0, 0, 1]);
  });
});
