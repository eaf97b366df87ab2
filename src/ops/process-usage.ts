// This node's own cost, as `walrus status` and /metrics show it: resident memory and CPU time
// since it started (the mean share of a core follows from the two).
export interface ProcessUsage {
  rssBytes: number;
  cpuSeconds: number;
  uptimeSeconds: number;
}

export function processUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return { rssBytes: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6, uptimeSeconds: process.uptime() };
}

/** "RSS 84 MB, CPU 12.3 s in 3600 s (0.34 % of a core)". */
export function describeUsage(u: ProcessUsage): string {
  const share = u.uptimeSeconds > 0 ? (100 * u.cpuSeconds) / u.uptimeSeconds : 0;
  return `RSS ${(u.rssBytes / 2 ** 20).toFixed(0)} MB, CPU ${u.cpuSeconds.toFixed(1)} s in ${u.uptimeSeconds.toFixed(0)} s (${share.toFixed(2)} % of a core)`;
}
