// Prometheus metrics (prom-client): gauges are read from the node's status at scrape time;
// counters the node keeps (rounds, moves) are fed as they happen. Units are in the names
// (_seconds, _ratio) and counters end in _total.
import { Counter, Gauge, Histogram, Registry, type Metric } from "prom-client";
import type { StatusReport } from "./status.ts";
import type { Clock } from "../core/clock.ts";
import type { ServerState } from "../core/types.ts";
import { LATENCY_BOUNDS_US, type DnsStats } from "../dns/server.ts";
import type { LearnedStatus } from "../geo/learning.ts";
import { STEERED_BY } from "../geo/steer.ts";
import type { SiteView } from "../roles/site-view.ts";
import type { DecisionEntry } from "./decision-log.ts";

/** A scrape takes well under this; a report older is rebuilt. */
const STATUS_REUSE_MS = 100;
const STATES: readonly ServerState[] = ["up", "tempfail", "bypass", "panic", "drained", "dead", "unknown"];

export interface MetricsSources {
  status: () => StatusReport;
  view: SiteView;
  dns?: DnsStats;
  clock: Clock;
  version: string;
}

export interface Metrics {
  registry: Registry;
  roundDone(durationMs: number): void;
  decision(d: DecisionEntry): void;
}

export function createMetrics(src: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // The gauges of one scrape, collected one after another, share one status report.
  let cached: { atMs: number; status: StatusReport } | undefined;
  const status = () => {
    const now = src.clock();
    if (!cached || now - cached.atMs > STATUS_REUSE_MS) cached = { atMs: now, status: src.status() };
    return cached.status;
  };

  /** A metric whose values live elsewhere: refilled from `read` at scrape time (a counter takes them as totals). */
  const scraped = (kind: "counter" | "gauge") => (name: string, help: string, labelNames: string[], read: () => [Record<string, string>, number][]) => {
    const config = {
      name,
      help,
      labelNames,
      registers,
      collect(this: Counter | Gauge) {
        this.reset();
        for (const [labels, v] of read()) {
          if (this instanceof Counter) this.inc(labels, v);
          else this.set(labels, v);
        }
      },
    };
    return kind === "counter" ? new Counter(config) : new Gauge(config);
  };
  const mirror = scraped("counter");
  const gauge = scraped("gauge");

  gauge("walrus_build_info", "Always 1; the version of this walrus binary.", ["version"], () => [[{ version: src.version }, 1]]);

  // ---- servers ----
  gauge(
    "walrus_server_load_ratio",
    "Load figure of each server (worst of its load terms); at or above the threshold is overloaded.",
    ["server", "cluster"],
    () =>
      status()
        .servers.filter((s) => s.load !== null)
        .map((s) => [{ server: s.name, cluster: s.cluster }, s.load as number]),
  );
  gauge("walrus_server_load_threshold_ratio", "The site's load_threshold.", [], () => [[{}, status().servers[0]?.threshold ?? 0]]);
  gauge("walrus_server_state", "1 for each server's current state, 0 for the others.", ["server", "cluster", "state"], () =>
    status().servers.flatMap((s) =>
      STATES.map((st): [Record<string, string>, number] => [{ server: s.name, cluster: s.cluster, state: st }, s.state === st ? 1 : 0]),
    ),
  );
  gauge(
    "walrus_server_stale",
    "1 when the server does not serve the site's current release, or its content trails the freshest server's (past content_grace_ms).",
    ["server"],
    () => status().servers.map((s) => [{ server: s.name }, s.stale ? 1 : 0]),
  );
  gauge("walrus_server_drained", "1 when an operator drained the server.", ["server"], () =>
    status().servers.map((s) => [{ server: s.name }, s.drained ? 1 : 0]),
  );
  gauge("walrus_server_report_age_seconds", "Time since this node last heard a report for the server.", ["server"], () => {
    const view = src.view.snapshot(src.clock());
    return [...view.reports].map(([name, r]) => [{ server: name }, Math.max(0, view.atMs - r.receivedAtMs) / 1000]);
  });

  // ---- request spread (ops/spread.ts): known rates only, an unknown one is absent, not 0 ----
  const spread = () => status().spread;
  gauge("walrus_server_requests_per_second", "Requests per second each server's web server counted (mean over the share window).", ["server", "cluster"], () =>
    (spread()?.servers ?? []).flatMap((s) => (s.rps === null ? [] : [[{ server: s.name, cluster: s.cluster }, s.rps]])),
  );
  gauge("walrus_server_request_share_ratio", "Each server's share of its cluster's and of the site's known requests.", ["server", "cluster", "of"], () =>
    (spread()?.servers ?? []).flatMap((s) =>
      (["cluster", "site"] as const).flatMap((of) => {
        const v = of === "cluster" ? s.clusterShare : s.siteShare;
        return v === null ? [] : [[{ server: s.name, cluster: s.cluster, of }, v] as [Record<string, string>, number]];
      }),
    ),
  );
  gauge("walrus_cluster_request_imbalance_ratio", "Largest in-service server share of the cluster against an even split (1 is even).", ["cluster"], () =>
    (spread()?.clusters ?? []).flatMap((c) => (c.imbalance === null ? [] : [[{ cluster: c.cluster }, c.imbalance]])),
  );
  gauge(
    "walrus_cluster_request_skewed",
    "1 while one server has held at least [spread] skew_factor times an even share of the cluster for skew_for_ms.",
    ["cluster"],
    () => (spread()?.clusters ?? []).map((c) => [{ cluster: c.cluster }, spread()?.warnings.some((w) => w.cluster === c.cluster) ? 1 : 0]),
  );

  // ---- areas and the master ----
  gauge("walrus_area_assigned_cluster", "1 for the cluster each area's answers come from.", ["area", "cluster", "reason"], () =>
    status().areas.map((a) => [{ area: a.area, cluster: a.cluster, reason: a.reason }, 1]),
  );
  gauge("walrus_area_spill_fraction", "Share of an area's resolvers answered with another cluster (graded shedding).", ["area", "to"], () =>
    status().areas.flatMap((a) => (a.spill ?? []).map((x): [Record<string, string>, number] => [{ area: a.area, to: x.to }, x.fraction])),
  );
  const moves = new Counter({
    name: "walrus_area_moves_total",
    help: "Times an area's assigned cluster changed, by the reason of the move.",
    labelNames: ["area", "reason"],
    registers,
  });
  const rounds = new Counter({ name: "walrus_rounds_total", help: "Decision rounds this node ran as master.", registers });
  const roundSeconds = new Histogram({
    name: "walrus_round_duration_seconds",
    help: "Time from a round's start to its assignment being published.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  gauge("walrus_master_epoch", "Highest master epoch this node has seen.", [], () => [[{}, src.view.snapshot(src.clock()).epochSeen]]);
  gauge("walrus_is_master", "1 when this node is the master of its own view.", [], () => [[{}, status().master?.self ? 1 : 0]]);
  gauge("walrus_assignment_age_seconds", "Age of the assignment in force on this node.", [], () => {
    const a = status().assignment;
    return a ? [[{}, a.ageMs / 1000]] : [];
  });
  gauge("walrus_members", "Members this node knows, by liveness.", ["live"], () => {
    const m = status().members;
    return [
      [{ live: "true" }, m.filter((x) => x.live).length],
      [{ live: "false" }, m.filter((x) => !x.live).length],
    ];
  });

  // ---- DNS (nameserver nodes only) ----
  const dns = src.dns;
  if (dns) {
    mirror("walrus_dns_queries_total", "DNS queries received (UDP and TCP), by question type; unreadable ones have no type.", ["qtype"], () => {
      const typed = Object.entries(dns.qtypes).map(([qtype, v]): [Record<string, string>, number] => [{ qtype }, v]);
      const unreadable = dns.queries - typed.reduce((sum, [, v]) => sum + v, 0);
      return unreadable > 0 ? [...typed, [{ qtype: "unreadable" }, unreadable]] : typed;
    });
    mirror("walrus_dns_responses_total", "DNS responses sent, by rcode.", ["rcode"], () => Object.entries(dns.responses).map(([rcode, v]) => [{ rcode }, v]));
    mirror("walrus_dns_truncated_responses_total", "DNS responses sent with TC set (too big for the client's UDP size).", [], () => [[{}, dns.truncated]]);
    mirror("walrus_dns_rate_limited_total", "DNS queries over the response-rate limit.", [], () => [[{}, dns.rateLimited]]);
    mirror("walrus_dns_dropped_total", "DNS queries left unanswered (too short, or themselves responses).", [], () => [[{}, dns.dropped]]);
    mirror("walrus_dns_errors_total", "Socket and answering errors of the nameserver.", [], () => [[{}, dns.errors]]);
    mirror("walrus_dns_worker_restarts_total", "DNS worker processes started again after they exited or stopped sending their counters.", [], () => [
      [{}, dns.workerRestarts],
    ]);
    mirror("walrus_dns_signatures_total", "DNSSEC signatures made: with the zone, and on demand for names that do not exist.", [], () => [
      [{}, dns.dnssecSignatures],
    ]);
    mirror("walrus_dns_signing_capped_total", "Answers to DO queries left SERVFAIL because signing on demand was over its rate cap.", [], () => [
      [{}, dns.dnssecCapped],
    ]);
    mirror("walrus_dns_tcp_refused_total", "DNS TCP connections closed at once because the connection limit was reached.", [], () => [[{}, dns.tcpRefused]]);
    gauge("walrus_dns_tcp_connections", "DNS TCP connections open now.", [], () => [[{}, dns.tcpConnections]]);
    registry.registerMetric(
      bucketsHistogram(
        "walrus_dns_answer_duration_seconds",
        "Time from a query's receipt to its reply built (no _sum: the server counts buckets only).",
        LATENCY_BOUNDS_US,
        () => dns.latencyCounts,
      ),
    );
  }

  // ---- steering by location (src/geo): read from the status report, nameservers only ----
  const steering = () => status().locations?.steering ?? null;
  mirror(
    "walrus_dns_steered_total",
    "Queries answered for an area, by what chose it: the ECS subnet, the resolver's address in the hand-made map, in the learned map, or the nameserver's own area.",
    ["area", "by"],
    () => Object.entries(steering()?.byArea ?? {}).flatMap(([area, c]) => STEERED_BY.map((by): [Record<string, string>, number] => [{ area, by }, c[by] ?? 0])),
  );
  mirror("walrus_dns_ecs_malformed_total", "Queries answered FORMERR for a malformed EDNS Client Subnet option, by reason.", ["reason"], () =>
    Object.entries(steering()?.malformed ?? {}).map(([reason, v]) => [{ reason }, v]),
  );
  gauge("walrus_location_map_stale", "1 when this node's location map differs from the one most nameservers answer from.", [], () => {
    const l = status().locations;
    return l ? [[{}, l.version === l.siteVersion ? 0 : 1]] : [];
  });

  // ---- the Director's backends (nodes with [director]) ----
  const backends = () => status().director ?? [];
  gauge(
    "walrus_director_backend_in_sync",
    "1 when the backend holds the newest assignment, 0 when behind, failing or standing by (not master).",
    ["backend"],
    () => backends().map((b) => [{ backend: b.name }, b.state === "in-sync" ? 1 : 0]),
  );
  gauge("walrus_director_backend_failing", "1 while the backend's last exchange failed (see walrus status for the reason).", ["backend"], () =>
    backends().map((b) => [{ backend: b.name }, b.state === "failing" ? 1 : 0]),
  );
  gauge("walrus_director_lag_seconds", "How far the backend is behind the newest assignment (0 when in sync).", ["backend"], () =>
    backends().map((b) => [{ backend: b.name }, b.lagMs / 1000]),
  );
  gauge(
    "walrus_director_last_update_lag_seconds",
    "From an assignment's decision to the backend holding it (updated, or read back as already right), for the last change.",
    ["backend"],
    () => backends().flatMap((b) => (b.lastLagMs === null ? [] : [[{ backend: b.name }, b.lastLagMs / 1000] as [Record<string, string>, number]])),
  );
  gauge("walrus_director_last_update_timestamp_seconds", "When the backend last accepted an update.", ["backend"], () =>
    backends().flatMap((b) => (b.lastUpdateAtMs === null ? [] : [[{ backend: b.name }, b.lastUpdateAtMs / 1000] as [Record<string, string>, number]])),
  );
  mirror("walrus_director_updates_total", "UPDATEs the backend accepted.", ["backend"], () => backends().map((b) => [{ backend: b.name }, b.updates]));
  mirror("walrus_director_failures_total", "Failed exchanges with the backend (refused, bad key or signature, timeout, unreachable).", ["backend"], () =>
    backends().map((b) => [{ backend: b.name }, b.failures]),
  );
  mirror("walrus_director_conflicts_total", "UPDATEs whose prerequisite failed because a record changed on the backend meanwhile.", ["backend"], () =>
    backends().map((b) => [{ backend: b.name }, b.conflicts]),
  );

  // ---- the replicator's resync (its node only) ----
  gauge(
    "walrus_replicator_resync_failures",
    "Failed tries in a row to bring a server onto the current release (see walrus status for the error); absent once it is there.",
    ["server"],
    () => (status().resync ?? []).map((f) => [{ server: f.server }, f.failures]),
  );

  // ---- the learned location map (issue 18), nameservers with [learn] on ----
  const LEARNED: [typeof gauge, string, string, (l: LearnedStatus) => number][] = [
    [gauge, "walrus_learned_entries", "Resolver prefixes in the learned location map.", (l) => l.entries.length],
    [gauge, "walrus_learned_prefixes_measured", "Resolver prefixes with round-trip samples, chosen or not.", (l) => l.measured],
    [mirror, "walrus_learned_probes_sent_total", "Round-trip probes this nameserver sent to resolvers.", (l) => l.probesSent],
    [mirror, "walrus_learned_probes_lost_total", "Round-trip probes that got no reply in time.", (l) => l.probesLost],
    [mirror, "walrus_learned_samples_total", "Round-trip samples heard from every area's nameserver, this one included.", (l) => l.samplesHeard],
  ];
  for (const [kind, name, help, pick] of LEARNED) {
    kind(name, help, [], () => {
      const l = status().locations?.learned;
      return l ? [[{}, pick(l)]] : [];
    });
  }

  // ---- this process (Prometheus' standard names) ----
  gauge("process_resident_memory_bytes", "Resident memory of this node's process.", [], () => [[{}, status().process.rssBytes]]);
  mirror("process_cpu_seconds_total", "CPU time (user and system) this node's process has used.", [], () => [[{}, status().process.cpuSeconds]]);

  // ---- gossip ----
  gauge("walrus_gossip_peers", "Gossip peers connected now.", [], () => [[{}, status().gossip.peers]]);
  mirror("walrus_gossip_messages_accepted_total", "Gossip messages accepted, by message type.", ["type"], () =>
    Object.entries(src.view.snapshot(src.clock()).counters.accepted).map(([type, v]) => [{ type }, v]),
  );
  mirror("walrus_gossip_messages_rejected_total", "Gossip messages rejected, by reason.", ["reason"], () =>
    Object.entries(src.view.snapshot(src.clock()).counters.rejected).map(([reason, v]) => [{ reason }, v]),
  );

  return {
    registry,
    roundDone(ms) {
      rounds.inc();
      roundSeconds.observe(ms / 1000);
    },
    decision(d) {
      if (d.from !== null && d.from !== d.to) moves.inc({ area: d.area, reason: d.reason });
    },
  };
}

/** A histogram whose buckets another part counts (per bucket, plus one beyond the last bound, in
 * microseconds): exposed cumulatively in seconds, as Prometheus expects. prom-client's Histogram
 * only takes single observations, so this is a registry entry of its own shape. */
function bucketsHistogram(name: string, help: string, boundsUs: readonly number[], counts: () => readonly number[]): Metric {
  const get = async () => {
    const c = counts();
    const values: { metricName: string; labels: Record<string, string>; value: number }[] = [];
    let running = 0;
    boundsUs.forEach((us, i) => {
      running += c[i] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: String(us / 1e6) }, value: running });
    });
    running += c[boundsUs.length] ?? 0;
    values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: running }, { metricName: `${name}_count`, labels: {}, value: running });
    return { name, help, type: "histogram", aggregator: "sum", values };
  };
  return { name, get } as unknown as Metric;
}
