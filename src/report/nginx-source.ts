// nginx through stub_status. nginx has no worker pool to fill: its limit is connections
// (worker_processes × worker_connections), so active connections over the operator's stated
// capacity play the part of busy over max workers.

import type { WebStats } from "../core/types.ts";
import type { Parsed } from "./parsed.ts";
import { statusPageSource } from "./status-page-source.ts";
import { parseStubStatus } from "./stub-status.ts";
import type { WebSource } from "./web-source.ts";

export interface NginxSourceInit {
  statusUrl: string;
  timeoutMs: number;
  /** Connections the server can hold at once: worker_processes × worker_connections, or less. */
  capacity: number;
}

/** stub_status figures as §5.2 web statistics. */
export function stubStatusStats(text: string, capacity: number): Parsed<WebStats> {
  const p = parseStubStatus(text);
  if (!p.ok) return p;
  const { active, requests, reading, writing, waiting } = p.value;
  return { ok: true, value: { hits: requests, busyWorkers: active, maxWorkers: capacity, reading, writing, waiting } };
}

export function nginxSource(init: NginxSourceInit): WebSource {
  return statusPageSource({ url: init.statusUrl, timeoutMs: init.timeoutMs, parse: (body) => stubStatusStats(body, init.capacity) });
}
