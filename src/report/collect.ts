// The reporter's I/O shell: once per call, reads /proc (and the container's cgroup v2 files) in
// place, and asks the web source and runs the operator's bypass command at once. All judgement
// lives in the pure parsers and in verdict.ts.

import { readFileSync } from "node:fs";
import type { HostStats } from "../core/types.ts";
import { runBypassCommand } from "./bypass-command.ts";
import { readContentTime } from "./content-time.ts";
import { cgroupV2Path, limitHostStats, parseCgroupSample, type CgroupFiles, type CgroupSample } from "./cgroup.ts";
import { errorText } from "./probe-error.ts";
import type { Parsed } from "./parsed.ts";
import { readRelease } from "./release.ts";
import { hostStatsBetween, pageSizeFromAuxv, parseProcSample, type ProcSample } from "./proc.ts";
import type { WebReading, WebSource } from "./web-source.ts";

export interface Collection {
  /** null on the very first sample (no interval yet) or when /proc or cgroup files could not be read. */
  host: HostStats | null;
  hostError?: string;
  web: WebReading;
  /** Why the bypass command failed this time; absent when it passed or none is configured. */
  bypassError?: string;
  /** The release the web server serves ("" for none yet), when a release root is configured. */
  release?: string;
  releaseError?: string;
  /** The newest change of content walrus does not replicate (ms since epoch), when a content_version_command is configured. */
  contentTimeMs?: number;
  contentTimeError?: string;
}

export interface CollectorOptions {
  source: WebSource;
  /** The operator's command, run at every collection; failing means BYPASS. */
  bypass?: { command: string; timeoutMs: number };
  /** The replicator's root on this host: its `current` link names the release served. */
  releaseRoot?: string;
  /** The operator's content_version_command (content-time.ts). */
  contentVersion?: { command: string; timeoutMs: number };
  /** Where to find stat, meminfo, vmstat and self/cgroup; tests point it at fixture directories. */
  procRoot?: string;
  /** The cgroup v2 directory to read; default: found from self/cgroup under /sys/fs/cgroup. */
  cgroupDir?: string;
}

export interface Collector {
  /** A simulated collector answers at once, so a simulated reporter publishes on its tick. */
  collect(nowMs: number): Collection | Promise<Collection>;
}

const DEFAULT_PAGE_SIZE = 4096;
const CGROUP_FILES: Record<keyof CgroupFiles, string> = {
  cpuMax: "cpu.max",
  cpuStat: "cpu.stat",
  memoryMax: "memory.max",
  memoryCurrent: "memory.current",
  memoryStat: "memory.stat",
};

interface Sample {
  proc: ProcSample;
  cgroup: CgroupSample;
}

export function createCollector(opts: CollectorOptions): Collector {
  const procRoot = opts.procRoot ?? "/proc";
  // pswpout counts pages; read the kernel's page size once (64 KiB on some arm64 builds).
  const pageSize = readPageSize(procRoot);
  // A process does not change cgroup under a running reporter: find the directory once.
  const cgroupDir = opts.cgroupDir ?? findCgroupDir(procRoot);
  let prev: Sample | undefined;

  function host(nowMs: number): Pick<Collection, "host" | "hostError"> {
    const proc = readProc(procRoot, nowMs);
    const cgroup = readCgroup(cgroupDir, nowMs);
    if (!proc.ok) return { host: null, hostError: proc.error };
    if (!cgroup.ok) return { host: null, hostError: cgroup.error };
    const last = prev;
    prev = { proc: proc.value, cgroup: cgroup.value };
    if (last === undefined) return { host: null, hostError: "first sample: no interval measured yet" };
    if (nowMs <= last.proc.atMs) return { host: null, hostError: "clock did not move forward: interval restarted" };
    const stats = hostStatsBetween(last.proc, proc.value, pageSize);
    return { host: limitHostStats(stats, last.cgroup, cgroup.value) };
  }

  const bypass = async (): Promise<Pick<Collection, "bypassError">> => {
    if (opts.bypass === undefined) return {};
    const error = await runBypassCommand(opts.bypass.command, opts.bypass.timeoutMs);
    return error === undefined ? {} : { bypassError: error };
  };

  const content = async (): Promise<Pick<Collection, "contentTimeMs" | "contentTimeError">> => {
    if (opts.contentVersion === undefined) return {};
    const r = await readContentTime(opts.contentVersion.command, opts.contentVersion.timeoutMs);
    return "ms" in r ? { contentTimeMs: r.ms } : { contentTimeError: r.error };
  };

  return {
    async collect(nowMs) {
      const [h, web, b, c] = await Promise.all([host(nowMs), opts.source.read(nowMs), bypass(), content()]);
      const col: Collection = { ...h, web, ...b, ...c };
      if (opts.releaseRoot !== undefined) {
        const r = readRelease(opts.releaseRoot);
        if ("error" in r) col.releaseError = r.error;
        else col.release = r.release;
      }
      return col;
    },
  };
}

function readProc(root: string, atMs: number): Parsed<ProcSample> {
  // Read in place: procfs answers from memory, so a thread pool's round trip would cost more than the read.
  const read = (name: string) => readFileSync(`${root}/${name}`, "utf8");
  try {
    return parseProcSample({ stat: read("stat"), meminfo: read("meminfo"), vmstat: read("vmstat") }, atMs);
  } catch (e) {
    return { ok: false, error: `cannot read ${root}: ${errorText(e)}` };
  }
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "ENOENT") return undefined;
    throw e;
  }
}

function readPageSize(procRoot: string): number {
  try {
    return pageSizeFromAuxv(readFileSync(`${procRoot}/self/auxv`)) ?? DEFAULT_PAGE_SIZE;
  } catch {
    return DEFAULT_PAGE_SIZE;
  }
}

/** Not found or not readable: no cgroup limits are applied, as on a v1 host. */
function findCgroupDir(procRoot: string): string | undefined {
  let path: string | undefined;
  try {
    path = cgroupV2Path(readFileSync(`${procRoot}/self/cgroup`, "utf8"));
  } catch {
    return undefined;
  }
  return path === undefined ? undefined : `/sys/fs/cgroup${path === "/" ? "" : path}`;
}

/** Missing files are normal (no limit set, or a v1 host); any other read error is reported. Read in place, as /proc. */
function readCgroup(dir: string | undefined, atMs: number): Parsed<CgroupSample> {
  if (dir === undefined) return { ok: true, value: { atMs } };
  const files: CgroupFiles = {};
  try {
    for (const key of Object.keys(CGROUP_FILES) as (keyof CgroupFiles)[]) {
      const text = readIfThere(`${dir}/${CGROUP_FILES[key]}`);
      if (text !== undefined) files[key] = text;
    }
  } catch (e) {
    return { ok: false, error: `cannot read cgroup ${dir}: ${errorText(e)}` };
  }
  const parsed = parseCgroupSample(files, atMs);
  return parsed.ok ? parsed : { ok: false, error: `cgroup ${dir}/${parsed.error}` };
}
