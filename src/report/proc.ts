// Pure parsers of Linux /proc text (thesis §5.1) and the host figures between two samples.
// The reporter reads the files; nothing here does I/O, and nothing throws on odd input.

import type { HostStats } from "../core/types.ts";
import { fail, type Parsed } from "./parsed.ts";

/** Cumulative CPU ticks of all cores, already folded into the thesis's three buckets. */
export interface CpuTicks {
  user: number; // user + nice (guest time is already inside these)
  system: number; // system + irq + softirq + steal
  idle: number; // idle + iowait
}

export interface StatFigures {
  ticks: CpuTicks;
  /** Number of `cpuN` lines: the cores online now. */
  cpus: number;
  /** procs_running: every task on a run queue, the reader of this file included. */
  runnable: number;
  /** procs_blocked: tasks waiting for I/O. */
  blocked: number;
}

export interface MemFigures {
  memTotalBytes: number;
  memFreeBytes: number;
  swapFreeBytes: number;
}

export interface VmFigures {
  /** Cumulative pages written out to swap since boot. */
  pagesSwappedOut: number;
}

export interface ProcSample extends StatFigures, MemFigures, VmFigures {
  /** When the files were read (ms since epoch). */
  atMs: number;
}

const COUNT = /^\d+$/;

/** A non-negative integer field, or undefined. */
function count(text: string | undefined): number | undefined {
  return text !== undefined && COUNT.test(text) ? Number(text) : undefined;
}

const BLANK = /\s/;

/**
 * The first line whose first field is `key`, split into the fields after it. Only that line is
 * split: /proc/stat's intr line alone holds thousands of numbers, read every report interval.
 */
function fieldsOf(text: string, key: string): string[] | undefined {
  for (let at = 0; at < text.length;) {
    const next = text.indexOf("\n", at);
    const end = next < 0 ? text.length : next;
    let start = at;
    while (start < end && BLANK.test(text[start]!)) start++;
    if (text.startsWith(key, start) && (start + key.length === end || BLANK.test(text[start + key.length]!)))
      return text
        .slice(start + key.length, end)
        .trim()
        .split(/\s+/)
        .filter(Boolean);
    at = end + 1;
  }
  return undefined;
}

export function parseStat(text: string): Parsed<StatFigures> {
  const cpu = fieldsOf(text, "cpu");
  if (cpu === undefined) return fail("/proc/stat: no aggregate cpu line");
  // user nice system idle [iowait irq softirq steal guest guest_nice]; kernels before 2.6 stop at idle.
  const t = cpu.map(count);
  if (t.length < 4 || t.some((n) => n === undefined)) {
    return fail(`/proc/stat: garbled cpu line "cpu ${cpu.join(" ")}"`);
  }
  const at = (i: number) => t[i] ?? 0;
  // Steal is time the hypervisor kept from us: neither idle nor ours to give to user code.
  const ticks = {
    user: at(0) + at(1),
    system: at(2) + at(5) + at(6) + at(7),
    idle: at(3) + at(4),
  };
  const cpus = text.split("\n").filter((l) => /^cpu\d+\s/.test(l)).length;
  if (cpus === 0) return fail("/proc/stat: no cpuN lines");
  const runnable = count(fieldsOf(text, "procs_running")?.[0]);
  if (runnable === undefined) return fail("/proc/stat: no procs_running line");
  const blocked = count(fieldsOf(text, "procs_blocked")?.[0]);
  if (blocked === undefined) return fail("/proc/stat: no procs_blocked line");
  return { ok: true, value: { ticks, cpus, runnable, blocked } };
}

/** A `Key:   123 kB` line of /proc/meminfo, in bytes (the kernel's "kB" is KiB). */
function kib(text: string, key: string): number | undefined {
  const fields = fieldsOf(text, `${key}:`);
  const n = count(fields?.[0]);
  return n === undefined || fields?.[1] !== "kB" ? undefined : n * 1024;
}

export function parseMeminfo(text: string): Parsed<MemFigures> {
  const memTotalBytes = kib(text, "MemTotal");
  if (memTotalBytes === undefined) return fail("/proc/meminfo: no MemTotal");
  // §5.1 free = "available now or on demand": MemAvailable since Linux 3.14. Older kernels get the
  // classic estimate, which overstates a little (Cached includes shared memory that cannot be dropped).
  let memFreeBytes = kib(text, "MemAvailable");
  if (memFreeBytes === undefined) {
    const [free, buffers, cached] = ["MemFree", "Buffers", "Cached"].map((k) => kib(text, k));
    if (free === undefined || buffers === undefined || cached === undefined) {
      return fail("/proc/meminfo: neither MemAvailable nor MemFree+Buffers+Cached");
    }
    memFreeBytes = free + buffers + cached;
  }
  // No SwapFree line means no swap support at all: nothing free to page into.
  const swapFreeBytes = kib(text, "SwapFree") ?? 0;
  return { ok: true, value: { memTotalBytes, memFreeBytes, swapFreeBytes } };
}

export function parseVmstat(text: string): Parsed<VmFigures> {
  const pagesSwappedOut = count(fieldsOf(text, "pswpout")?.[0]);
  if (pagesSwappedOut === undefined) return fail("/proc/vmstat: no pswpout");
  return { ok: true, value: { pagesSwappedOut } };
}

/** The three files read at `atMs`, parsed into one sample. */
export function parseProcSample(files: { stat: string; meminfo: string; vmstat: string }, atMs: number): Parsed<ProcSample> {
  const stat = parseStat(files.stat);
  if (!stat.ok) return stat;
  const mem = parseMeminfo(files.meminfo);
  if (!mem.ok) return mem;
  const vm = parseVmstat(files.vmstat);
  if (!vm.ok) return vm;
  return { ok: true, value: { ...stat.value, ...mem.value, ...vm.value, atMs } };
}

// Counters only grow, but CPU hot-unplug can shrink the aggregate; never report negative work.
const grown = (a: number, b: number) => Math.max(0, b - a);

/** §5.1 host statistics over the interval from `prev` to `cur`. */
export function hostStatsBetween(prev: ProcSample, cur: ProcSample, pageSizeBytes: number): HostStats {
  const user = grown(prev.ticks.user, cur.ticks.user);
  const system = grown(prev.ticks.system, cur.ticks.system);
  const idle = grown(prev.ticks.idle, cur.ticks.idle);
  const total = user + system + idle;
  return {
    durationMs: cur.atMs - prev.atMs,
    cpus: cur.cpus,
    // No ticks elapsed (samples too close together): nothing ran, so call it idle.
    cpuUser: total === 0 ? 0 : user / total,
    cpuSystem: total === 0 ? 0 : system / total,
    cpuIdle: total === 0 ? 1 : idle / total,
    memTotalBytes: cur.memTotalBytes,
    memFreeBytes: cur.memFreeBytes,
    pagedOutBytes: grown(prev.pagesSwappedOut, cur.pagesSwappedOut) * pageSizeBytes,
    swapFreeBytes: cur.swapFreeBytes,
    runnable: cur.runnable,
    blocked: cur.blocked,
  };
}

// /proc/self/auxv on 64-bit little-endian machines: (type, value) pairs of u64; AT_PAGESZ is type 6.
const AT_PAGESZ = 6n;

/** The kernel page size from /proc/self/auxv, or undefined when the bytes do not look right. */
export function pageSizeFromAuxv(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off + 16 <= bytes.byteLength; off += 16) {
    if (view.getBigUint64(off, true) !== AT_PAGESZ) continue;
    const size = Number(view.getBigUint64(off + 8, true));
    // A 32-bit or big-endian layout would read as nonsense: accept only plausible page sizes.
    const plausible = size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0;
    return plausible ? size : undefined;
  }
  return undefined;
}
