// Operations for one node: the decision log (every node), notices (the master), and, when
// [metrics] listen is set, the HTTP listener with /metrics and the live status page.
import pkg from "../../package.json" with { type: "json" };
import type { NodeConfig } from "../config/types.ts";
import type { StatusReport } from "./status.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { DnsStats } from "../dns/server.ts";
import type { Notifier } from "./notifier.ts";
import type { SiteView } from "../roles/site-view.ts";
import type { DecisionEntry } from "./decision-log.ts";
import { startOpsHttp } from "./http.ts";
import { createMetrics } from "./metrics.ts";
import { startWatch } from "./watch.ts";

export interface OpsInit {
  config: NodeConfig;
  view: SiteView;
  dns?: DnsStats;
  notifier: Notifier;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** The node's status report with the given decision log. */
  status: (decisions: DecisionEntry[]) => StatusReport;
}

export interface Ops {
  status(): StatusReport;
  stop(): void;
}

export function startOps(init: OpsInit): Ops {
  const { config } = init;
  const status = () => init.status(watch.decisions());
  const metrics = config.metrics ? createMetrics({ status, view: init.view, dns: init.dns, clock: init.clock, version: pkg.version }) : undefined;
  const watch = startWatch({
    site: config.site,
    view: init.view,
    clock: init.clock,
    timers: init.timers,
    notifier: init.notifier,
    candidate: config.controller !== undefined,
    deadForMs: config.notify.deadForMs,
    onRound: metrics?.roundDone,
    onDecision: metrics?.decision,
  });
  const http = config.metrics && metrics ? startOpsHttp({ listen: config.metrics.listen, registry: metrics.registry, status, log: init.log }) : undefined;
  return {
    status,
    stop() {
      http?.stop();
      watch.stop();
    },
  };
}
