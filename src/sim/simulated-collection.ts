// What a simulated reporter's collector measures: an idle host (so a server's load is its busy
// workers alone) and the web server as the simulation says it is.
import type { Collection } from "../report/collect.ts";
import type { WebReading } from "../report/web-source.ts";

export function simulatedCollection(web: WebReading, intervalMs: number, bypassError?: string): Collection {
  const host = {
    durationMs: intervalMs,
    cpus: 1,
    cpuUser: 0,
    cpuSystem: 0,
    cpuIdle: 1,
    memTotalBytes: 1,
    memFreeBytes: 1,
    pagedOutBytes: 0,
    swapFreeBytes: 0,
    runnable: 0,
    blocked: 0,
  };
  return { host, web, ...(bypassError !== undefined && { bypassError }) };
}
