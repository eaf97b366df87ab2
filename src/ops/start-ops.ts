// Operations for one node: the decision log (every node), notices (the master, through the one
// notifier), the status report built beside the decision log, and, when [metrics] listen is set,
// the HTTP listener with /metrics and the live status page.
import type { Director } from "../director/director.ts";
import pkg from "../../package.json" with { type: "json" };
import type { NodeConfig } from "../config/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { Learning } from "../geo/learning.ts";
import type { LocationMap } from "../geo/location-map.ts";
import type { SteeringCounts } from "../geo/steering-counts.ts";
import type { Bus } from "../net/bus.ts";
import type { Resync } from "../replicate/resync.ts";
import type { Nameserver } from "../roles/nameserver.ts";
import type { SiteView } from "../roles/site-view.ts";
import { startOpsHttp } from "./http.ts";
import { createMetrics } from "./metrics.ts";
import { createNotifier, type Notifier } from "./notifier.ts";
import { startSpread } from "./spread.ts";
import { processUsage } from "./process-usage.ts";
import { assignmentShown, buildStatus, siteRows, type HistoryWanted, type StatusReport } from "./status.ts";
import { startWatch } from "./watch.ts";

export interface OpsInit {
  config: NodeConfig;
  /** The config in force: `config` with the site document adopted since (what status shows). */
  running: () => NodeConfig;
  digest: string;
  nameserver?: Nameserver;
  director?: Director;
  map: () => LocationMap;
  steering: SteeringCounts;
  /** Present on a nameserver that learns where resolvers are. */
  learning?: Pick<Learning, "status">;
  /** Present on the replicator's node while it resyncs servers. */
  resync?: Pick<Resync, "failing">;
  /** Whether the node reads the site's reports: only then has it a spread and a history to keep (a reporter-only node has neither). */
  history: boolean;
}

export interface OpsComponents {
  view: SiteView;
  bus: Bus;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

export interface Ops {
  status(want?: HistoryWanted): StatusReport;
  /** Resolves once the DNS counters hold what was answered up to now: call before `status` or a scrape. */
  fresh(): Promise<void>;
  /** Tells a human (the notifier's gate: repeats dropped, rate capped). */
  notify: Notifier["notify"];
  stop(): void;
}

export function startOps(init: OpsInit, c: OpsComponents): Ops {
  const { config, nameserver } = init;
  const fresh = async () => nameserver?.freshStats();
  const notifier = createNotifier(config.notify, { zone: config.site.zone, node: config.node.name }, c.log.scope("notify"), c.clock);
  const base = (): StatusReport =>
    buildStatus({
      config: init.running(),
      digest: init.digest,
      view: c.view,
      nameserver,
      director: init.director,
      resync: init.resync,
      bus: c.bus,
      clock: c.clock,
      usage: processUsage(),
      decisions: watch.decisions(),
      locations: { map: init.map(), steering: nameserver && init.steering, learned: init.learning },
    });
  const spread =
    init.history &&
    startSpread({
      site: config.site,
      rules: config.spread,
      rows: () => {
        const view = c.view.snapshot(c.clock());
        return { rows: siteRows(view, assignmentShown(view, nameserver)), reports: view.reports };
      },
      ...(nameserver && { steering: init.steering.byArea }),
      clock: c.clock,
      timers: c.timers,
    });
  const status = (want: HistoryWanted = {}): StatusReport => ({
    ...base(),
    ...(spread && { spread: spread.status() }),
    ...(spread && want.historySinceMs !== undefined && { history: spread.history(want.historySinceMs) }),
  });
  const metrics = config.metrics ? createMetrics({ status, view: c.view, dns: nameserver?.stats, clock: c.clock, version: pkg.version }) : undefined;
  const watch = startWatch({
    site: config.site,
    view: c.view,
    clock: c.clock,
    timers: c.timers,
    notifier,
    candidate: config.controller !== undefined,
    deadForMs: config.notify.deadForMs,
    staleForMs: config.notify.staleForMs,
    onRound: metrics?.roundDone,
    onDecision: metrics?.decision,
  });
  const http =
    config.metrics && metrics
      ? startOpsHttp({ listen: config.metrics.listen, registry: metrics.registry, status, fresh, clock: c.clock, log: c.log.scope("ops") })
      : undefined;
  return {
    status,
    fresh,
    notify: (n) => notifier.notify(n),
    stop() {
      http?.stop();
      if (spread) spread.stop();
      watch.stop();
    },
  };
}
