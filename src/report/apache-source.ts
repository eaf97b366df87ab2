// Apache through mod_status `?auto` (ExtendedStatus On for the hit count).

import type { WebStats } from "../core/types.ts";
import { parseModStatus } from "./mod-status.ts";
import type { Parsed } from "./parsed.ts";
import { statusPageSource } from "./status-page-source.ts";
import type { WebSource } from "./web-source.ts";

export interface ApacheSourceInit {
  statusUrl: string;
  timeoutMs: number;
  /** MaxRequestWorkers when the operator states it; otherwise the Scoreboard's slot count. */
  maxWorkers?: number;
}

export function apacheSource(init: ApacheSourceInit): WebSource {
  const { maxWorkers } = init;
  const parse = (body: string): Parsed<WebStats> => {
    const p = parseModStatus(body);
    return p.ok && maxWorkers !== undefined ? { ok: true, value: { ...p.value, maxWorkers } } : p;
  };
  return statusPageSource({ url: init.statusUrl, timeoutMs: init.timeoutMs, parse });
}
