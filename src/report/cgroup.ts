// Pure parsers of cgroup v2 files and the limits they put on a containerised reporter's figures.
// Inside a container /proc shows the whole host; when the container's own limits are tighter,
// its CPU and memory figures are the ones that run out first.
//   cpu.max         "$QUOTA $PERIOD" in µs, QUOTA "max" when unlimited
//   cpu.stat        usage_usec, user_usec, system_usec (cumulative)
//   memory.max      bytes, or "max"
//   memory.current  bytes charged to the cgroup, page cache included
//   memory.stat     inactive_file: page cache the kernel reclaims first (as MemAvailable counts it)

import type { HostStats } from "../core/types.ts";
import { clip, fail, type Parsed } from "./parsed.ts";

export interface CgroupSample {
  /** cpu.max as cores (quota / period); undefined when unlimited or absent. */
  cpuLimitCores?: number;
  /** cpu.stat, cumulative µs; undefined when absent. */
  cpuUserUsec?: number;
  cpuSystemUsec?: number;
  /** memory.max; undefined when unlimited or absent. */
  memLimitBytes?: number;
  memCurrentBytes?: number;
  inactiveFileBytes?: number;
  atMs: number;
}

/** Raw file texts; undefined for a file that does not exist. */
export interface CgroupFiles {
  cpuMax?: string;
  cpuStat?: string;
  memoryMax?: string;
  memoryCurrent?: string;
  memoryStat?: string;
}

const COUNT = /^\d+$/;

/** The v2 line of /proc/self/cgroup ("0::/path"), or undefined on a v1-only host. */
export function cgroupV2Path(procSelfCgroup: string): string | undefined {
  for (const line of procSelfCgroup.split("\n")) if (line.startsWith("0::")) return line.slice(3).trim();
  return undefined;
}

export function parseCpuMax(text: string): Parsed<number | undefined> {
  const [quota, period, ...rest] = text.trim().split(/\s+/);
  if (quota === undefined || period === undefined || rest.length > 0 || !COUNT.test(period) || Number(period) === 0) {
    return fail(`cpu.max: expected "QUOTA PERIOD", got "${clip(text.trim())}"`);
  }
  if (quota === "max") return { ok: true, value: undefined };
  if (!COUNT.test(quota)) return fail(`cpu.max: quota is not a number: "${clip(quota)}"`);
  return { ok: true, value: Number(quota) / Number(period) };
}

/** memory.max, or any single "bytes or max" file. */
export function parseBytesOrMax(name: string, text: string): Parsed<number | undefined> {
  const v = text.trim();
  if (v === "max") return { ok: true, value: undefined };
  return COUNT.test(v) ? { ok: true, value: Number(v) } : fail(`${name}: expected bytes or "max", got "${clip(v)}"`);
}

/** A flat-keyed file (cpu.stat, memory.stat): "key value" per line. */
export function parseKeyed(name: string, text: string): Parsed<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const [key, value, ...rest] = line.trim().split(/\s+/);
    if (key === undefined || value === undefined || rest.length > 0 || !COUNT.test(value)) return fail(`${name}: garbled line "${clip(line)}"`);
    out.set(key, Number(value));
  }
  return { ok: true, value: out };
}

export function parseCgroupSample(files: CgroupFiles, atMs: number): Parsed<CgroupSample> {
  const sample: CgroupSample = { atMs };
  const given = <T>(text: string | undefined, parse: (text: string) => Parsed<T>): Parsed<T | undefined> =>
    text === undefined ? { ok: true, value: undefined } : parse(text);
  const cpuMax = given(files.cpuMax, parseCpuMax);
  const cpuStat = given(files.cpuStat, (t) => parseKeyed("cpu.stat", t));
  const memoryMax = given(files.memoryMax, (t) => parseBytesOrMax("memory.max", t));
  const memoryCurrent = given(files.memoryCurrent, (t) => parseBytesOrMax("memory.current", t));
  const memoryStat = given(files.memoryStat, (t) => parseKeyed("memory.stat", t));
  // The first problem in file order is the one reported.
  if (!cpuMax.ok) return cpuMax;
  if (!cpuStat.ok) return cpuStat;
  if (cpuMax.value !== undefined) sample.cpuLimitCores = cpuMax.value;
  if (cpuStat.value) {
    const user = cpuStat.value.get("user_usec");
    const system = cpuStat.value.get("system_usec");
    if (user === undefined || system === undefined) return fail("cpu.stat: no user_usec or system_usec");
    sample.cpuUserUsec = user;
    sample.cpuSystemUsec = system;
  }
  if (!memoryMax.ok) return memoryMax;
  if (!memoryCurrent.ok) return memoryCurrent;
  if (!memoryStat.ok) return memoryStat;
  if (memoryMax.value !== undefined) sample.memLimitBytes = memoryMax.value;
  if (memoryCurrent.value !== undefined) sample.memCurrentBytes = memoryCurrent.value;
  const inactive = memoryStat.value?.get("inactive_file");
  if (inactive !== undefined) sample.inactiveFileBytes = inactive;
  return { ok: true, value: sample };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * The host figures with the container's limits applied where they are tighter:
 * - CPU: when the quota is below the host's cores, the shares are of the quota (usage over
 *   interval × quota), so a container using its whole quota reads as fully busy on an idle host.
 * - Memory: when memory.max is below MemTotal, total is the limit and free is what the limit
 *   leaves after the working set (current − inactive_file), never more than the host has free.
 * Runnable and blocked stay host-wide (the kernel has no per-cgroup count), and so does `cpus`,
 * which they are divided by; swap-out stays host-wide too: a swapping host slows every container.
 */
export function limitHostStats(host: HostStats, prev: CgroupSample, cur: CgroupSample): HostStats {
  const out = { ...host };
  const cores = cur.cpuLimitCores;
  const elapsedUsec = (cur.atMs - prev.atMs) * 1000;
  if (
    cores !== undefined &&
    cores < host.cpus &&
    elapsedUsec > 0 &&
    prev.cpuUserUsec !== undefined &&
    cur.cpuUserUsec !== undefined &&
    prev.cpuSystemUsec !== undefined &&
    cur.cpuSystemUsec !== undefined
  ) {
    const budget = elapsedUsec * cores;
    const user = clamp01(Math.max(0, cur.cpuUserUsec - prev.cpuUserUsec) / budget);
    const system = Math.min(1 - user, clamp01(Math.max(0, cur.cpuSystemUsec - prev.cpuSystemUsec) / budget));
    out.cpuUser = user;
    out.cpuSystem = system;
    out.cpuIdle = 1 - user - system;
  }
  const limit = cur.memLimitBytes;
  if (limit !== undefined && limit < host.memTotalBytes && cur.memCurrentBytes !== undefined) {
    const workingSet = Math.max(0, cur.memCurrentBytes - (cur.inactiveFileBytes ?? 0));
    out.memTotalBytes = limit;
    out.memFreeBytes = Math.min(host.memFreeBytes, Math.max(0, limit - workingSet));
  }
  return out;
}
