// The reporter's I/O shell: reads /proc and the local web server's status page once per call.
// All judgement lives in the pure parsers (proc.ts, mod-status.ts) and in verdict.ts.

import { readFile } from "node:fs/promises";
import type { HostStats, WebStats } from "../core/types.ts";
import { parseModStatus } from "./mod-status.ts";
import { hostStatsBetween, pageSizeFromAuxv, parseProcSample, type Parsed, type ProcSample } from "./proc.ts";

export interface Collection {
  /** null on the very first sample (no interval yet) or when /proc could not be read. */
  host: HostStats | null;
  hostError?: string;
  /** null when the status page could not be fetched or parsed. */
  web: WebStats | null;
  /** e.g. "connection refused", "HTTP 503", "timeout after 800 ms", "parse: no BusyWorkers". */
  webError?: string;
  /**
   * The web server itself looks down: refused/reset, timeout, HTTP 5xx, or unreachable otherwise.
   * False for a page that was fetched but did not parse (or a 4xx: the server answered).
   */
  webDown: boolean;
}

export interface CollectorOptions {
  statusUrl: string;
  timeoutMs: number;
  /** Where to find stat, meminfo and vmstat; tests point it at fixture directories. */
  procRoot?: string;
}

export interface Collector {
  collect(nowMs: number): Promise<Collection>;
}

/** A status page is a few KiB; anything past this is not one. */
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_PAGE_SIZE = 4096;

export function createCollector(opts: CollectorOptions): Collector {
  const procRoot = opts.procRoot ?? "/proc";
  let pageSize: Promise<number> | undefined;
  let prev: ProcSample | undefined;

  async function host(nowMs: number): Promise<Pick<Collection, "host" | "hostError">> {
    // pswpout counts pages; read the kernel's page size once (64 KiB on some arm64 builds).
    pageSize ??= readFile(`${procRoot}/self/auxv`).then(
      (b) => pageSizeFromAuxv(b) ?? DEFAULT_PAGE_SIZE,
      () => DEFAULT_PAGE_SIZE,
    );
    const cur = await readProc(procRoot, nowMs);
    if (!cur.ok) return { host: null, hostError: cur.error };
    const last = prev;
    prev = cur.value;
    if (last === undefined) return { host: null, hostError: "first sample: no interval measured yet" };
    if (nowMs <= last.atMs) return { host: null, hostError: "clock did not move forward: interval restarted" };
    return { host: hostStatsBetween(last, cur.value, await pageSize) };
  }

  return {
    async collect(nowMs) {
      const [h, w] = await Promise.all([host(nowMs), probeWeb(opts.statusUrl, opts.timeoutMs)]);
      return { ...h, ...w };
    },
  };
}

async function readProc(root: string, atMs: number): Promise<Parsed<ProcSample>> {
  const read = (name: string) => readFile(`${root}/${name}`, "utf8");
  try {
    const [stat, meminfo, vmstat] = await Promise.all([read("stat"), read("meminfo"), read("vmstat")]);
    return parseProcSample({ stat, meminfo, vmstat }, atMs);
  } catch (e) {
    return { ok: false, error: `cannot read ${root}: ${errorText(e)}` };
  }
}

async function probeWeb(url: string, timeoutMs: number): Promise<Pick<Collection, "web" | "webError" | "webDown">> {
  const down = (webError: string) => ({ web: null, webError, webDown: true });
  const unreadable = (webError: string) => ({ web: null, webError, webDown: false });
  let body: string | undefined;
  try {
    // The timeout covers the body too: a server that stalls mid-page is as down as one that never answers.
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status >= 500) {
      await res.body?.cancel();
      return down(`HTTP ${res.status}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      return unreadable(`HTTP ${res.status}`); // e.g. 403/404: up, but mod_status is not reachable
    }
    body = await readCapped(res, MAX_BODY_BYTES);
  } catch (e) {
    return down(fetchErrorText(e, timeoutMs));
  }
  if (body === undefined) return unreadable(`status page larger than ${MAX_BODY_BYTES / 1024} KiB`);
  const parsed = parseModStatus(body);
  return parsed.ok ? { web: parsed.value, webDown: false } : unreadable(`parse: ${parsed.error}`);
}

/** The body as text, or undefined once it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<string | undefined> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function fetchErrorText(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && e.name === "TimeoutError") return `timeout after ${timeoutMs} ms`;
  const code = e instanceof Error && "code" in e ? e.code : undefined;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection reset";
  return errorText(e);
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
