// The load figure: one number per server, compared with the site's load_threshold.
//
//   load = max over the site's load_terms of
//     workers   busy_workers / max_workers                      (the thesis' web "load average", §5.2;
//                                                               nginx: active connections / capacity)
//     cpu       1 − idle share over the interval                  (user incl. nice + system)
//     runqueue  runnable processes / (2 × cores)                  (1.0 = two runnable per core: queueing)
//     memory    1 − free memory / total memory                    (free = MemAvailable, §5.1, or a
//                                                               container's limit less its working set)
//
// The worst term wins because any one exhausted resource makes the server slow; a weighted
// mean would hide a full worker pool behind an idle CPU. Each term is 0 when idle and 1 when
// that resource is saturated, so one threshold (default 0.8) fits all of them.
// Terms whose figures a report lacks are skipped; a report with none yields undefined.
import type { HostStats, LoadTerm, WebStats } from "../core/types.ts";

export interface LoadInputs {
  host?: HostStats;
  web?: WebStats;
}

export function loadTermValue(term: LoadTerm, r: LoadInputs): number | undefined {
  switch (term) {
    case "workers":
      return r.web && r.web.maxWorkers > 0 ? r.web.busyWorkers / r.web.maxWorkers : undefined;
    case "cpu":
      return r.host ? clamp01(1 - r.host.cpuIdle) : undefined;
    case "runqueue":
      return r.host && r.host.cpus > 0 ? r.host.runnable / (2 * r.host.cpus) : undefined;
    case "memory":
      return r.host && r.host.memTotalBytes > 0 ? clamp01(1 - r.host.memFreeBytes / r.host.memTotalBytes) : undefined;
  }
}

export function loadFigure(r: LoadInputs, terms: readonly LoadTerm[]): number | undefined {
  let worst: number | undefined;
  for (const term of terms) {
    const v = loadTermValue(term, r);
    if (v !== undefined && (worst === undefined || v > worst)) worst = v;
  }
  return worst;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
