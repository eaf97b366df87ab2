// Reporter role (thesis §5): every report interval, measure the host and the web server,
// judge the special replies, and publish a report for this node's server when it says something
// new or the last one would soon lapse (report/send-rule.ts). A failed probe is
// confirmed or cleared by another after fast_probe_ms rather than a whole interval later (as
// HAProxy's fastinter does), so a dead server reaches PANIC within about one interval; the run
// of fall_count failures that damps a flap is the same, only closer together. A newer site
// document is taken as it runs: the verdict's memory (a PANIC waiting for rise_count good probes)
// and the report sequence carry on.
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { Report, ReportStatus, Site } from "../core/types.ts";
import type { Collection, Collector } from "../report/collect.ts";
import type { ReporterConfig } from "../report/config.ts";
import { reasonToSend, sentOf, type Sent } from "../report/send-rule.ts";
import { initialVerdict, judge } from "../report/verdict.ts";
import type { SiteView } from "./site-view.ts";

export interface ReporterInit {
  site: Site;
  digest: string;
  cfg: ReporterConfig;
}

export interface ReporterComponents {
  view: SiteView;
  /** The real one reads /proc and the web server (report/configured-collector.ts); the simulator's answers at once. */
  collector: Collector;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

export interface Reporter {
  last(): Report | undefined;
  /** A newer site document, and this node's [reporter] table validated against it. */
  adoptSite(site: Site, cfg: ReporterConfig): void;
  stop(): void;
}

export function startReporter(init: ReporterInit, c: ReporterComponents): Reporter {
  let { cfg, site } = init;
  const { view, clock, log } = c;
  let memory = initialVerdict();
  let seq = 0;
  let busy = false;
  let last: Report | undefined;
  let sent: Sent | undefined;
  let lastStatus: ReportStatus | undefined;
  let cancelFast: (() => void) | undefined;
  // Every failed probe is counted and logged with its error; the logger holds back repeats.
  const failed = { web: 0, host: 0, bypass: 0, release: 0, content: 0 };

  const publish = (col: Collection) => {
    if (col.web.state !== "up") log.warn("web probe failed", { server: cfg.server, state: col.web.state, error: col.web.error, count: ++failed.web });
    if (col.host === null && memory.measured) log.warn("host figures failed", { server: cfg.server, error: col.hostError, count: ++failed.host });
    if (col.bypassError !== undefined) log.warn("bypass command failed", { server: cfg.server, error: col.bypassError, count: ++failed.bypass });
    if (col.releaseError !== undefined) log.warn("cannot read the release served", { server: cfg.server, error: col.releaseError, count: ++failed.release });
    if (col.contentTimeError !== undefined)
      log.warn("cannot read the content's time", { server: cfg.server, error: col.contentTimeError, count: ++failed.content });
    const v = judge(memory, col, { fallCount: cfg.fallCount, riseCount: cfg.riseCount });
    memory = v.memory;
    const report: Report = { server: cfg.server, seq: ++seq, atMs: clock(), status: v.status };
    if (v.reason) report.reason = v.reason;
    if (col.host) report.host = col.host;
    if (col.web.state === "up" && col.web.stats) report.web = col.web.stats;
    if (col.release !== undefined) report.release = col.release;
    if (col.contentTimeMs !== undefined) report.contentTimeMs = col.contentTimeMs;
    last = report;
    if (v.status !== lastStatus) log.info("status", { server: cfg.server, status: v.status, reason: v.reason ?? "" });
    lastStatus = v.status;
    const now = sentOf(report, site, sent);
    if (reasonToSend(sent, now, site)) {
      sent = now;
      view.publish({ type: "report", site: init.digest, report });
    }
    if (col.web.state === "down" && !memory.down && !cancelFast)
      cancelFast = c.timers.after(cfg.fastProbeMs, () => {
        cancelFast = undefined;
        tick();
      });
  };
  const failedUnexpectedly = (err: unknown) => log.error("collection failed unexpectedly", { error: String(err) });

  const tick = () => {
    if (busy) return; // a slow collection must not pile up behind itself
    try {
      const col = c.collector.collect(clock());
      if (!(col instanceof Promise)) return publish(col);
      busy = true;
      void col
        .then(publish)
        .catch(failedUnexpectedly)
        .finally(() => (busy = false));
    } catch (err) {
      failedUnexpectedly(err);
    }
  };
  let intervalMs = init.site.reportIntervalMs;
  let stopTicks = c.timers.every(intervalMs, tick);
  tick();
  return {
    last: () => last,
    adoptSite(next, nextCfg) {
      cfg = nextCfg;
      site = next;
      if (site.reportIntervalMs === intervalMs) return;
      intervalMs = site.reportIntervalMs;
      stopTicks();
      stopTicks = c.timers.every(intervalMs, tick);
    },
    stop() {
      stopTicks();
      cancelFast?.();
    },
  };
}
