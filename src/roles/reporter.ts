// Reporter role (thesis §5): every report interval, measure the host and the web server,
// judge the special replies, and publish one report for this node's server.
import type { ReporterConfig } from "../report/config.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Report, ReportStatus, Site } from "../core/types.ts";
import { createCollector } from "../report/collect.ts";
import { initialVerdict, judge } from "../report/verdict.ts";
import { createWebSource } from "../report/web-sources.ts";
import type { SiteView } from "./site-view.ts";

export interface Reporter {
  last(): Report | undefined;
  stop(): void;
}

export function startReporter(init: { site: Site; digest: string; cfg: ReporterConfig; view: SiteView; clock: Clock; log: Logger }): Reporter {
  const { site, cfg, view, clock, log } = init;
  const collector = createCollector({
    source: createWebSource(cfg.source, cfg.timeoutMs),
    ...(cfg.bypassCommand !== undefined && { bypass: { command: cfg.bypassCommand, timeoutMs: cfg.timeoutMs } }),
  });
  let memory = initialVerdict();
  let seq = 0;
  let busy = false;
  let last: Report | undefined;
  let lastStatus: ReportStatus | undefined;
  // Every failed probe is counted and logged with its error; the logger holds back repeats.
  const failed = { web: 0, host: 0, bypass: 0 };

  const tick = async () => {
    if (busy) return; // a slow collection must not pile up behind itself
    busy = true;
    try {
      const c = await collector.collect(clock());
      if (c.web.state !== "up") log.warn("web probe failed", { server: cfg.server, state: c.web.state, error: c.web.error, count: ++failed.web });
      if (c.host === null && memory.measured) log.warn("host figures failed", { server: cfg.server, error: c.hostError, count: ++failed.host });
      if (c.bypassError !== undefined) log.warn("bypass command failed", { server: cfg.server, error: c.bypassError, count: ++failed.bypass });
      const v = judge(memory, c, { fallCount: cfg.fallCount, riseCount: cfg.riseCount });
      memory = v.memory;
      const report: Report = { server: cfg.server, seq: ++seq, atMs: clock(), status: v.status };
      if (v.reason) report.reason = v.reason;
      if (c.host) report.host = c.host;
      if (c.web.state === "up" && c.web.stats) report.web = c.web.stats;
      last = report;
      if (v.status !== lastStatus) log.info("status", { server: cfg.server, status: v.status, reason: v.reason ?? "" });
      lastStatus = v.status;
      view.publish({ type: "report", site: init.digest, report });
    } catch (err) {
      log.error("collection failed unexpectedly", { error: String(err) });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), site.reportIntervalMs);
  void tick();
  return { last: () => last, stop: () => clearInterval(timer) };
}
