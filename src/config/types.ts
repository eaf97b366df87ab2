import type { AreaName, ServerName, Site } from "../core/types.ts";
import type { NameserverDnsOptions } from "./dns-keys.ts";
import type { LocationConfig } from "../geo/map-config.ts";

export interface HostPort {
  host: string;
  port: number;
}

/** Where the reporter learns how the web server is ([reporter] source and its keys). */
export type WebSourceConfig =
  | { kind: "apache"; statusUrl: string; maxWorkers?: number }
  | { kind: "nginx"; statusUrl: string; capacity: number }
  | { kind: "http"; url: string; expectStatus: number; expectBody?: string }
  | { kind: "tcp"; address: HostPort };

export interface ReporterConfig {
  /** The server (a key of [site.servers]) this reporter measures. */
  server: ServerName;
  source: WebSourceConfig;
  /** Limit on each probe, and on the bypass command. */
  timeoutMs: number;
  /** Consecutive failed probes before PANIC. */
  fallCount: number;
  /** Consecutive good probes before a PANIC clears. */
  riseCount: number;
  /** Run every collection; a non-zero exit or a timeout means BYPASS. */
  bypassCommand?: string;
}

export interface ControllerConfig {
  /** Lower ranks first in the ordered view; the first live candidate is master. */
  priority: number;
}

/** The DNS options (udp_size, rate_limit, workers, …) are declared beside their validation. */
export interface NameserverConfig extends NameserverDnsOptions {
  area: AreaName;
  listen: HostPort[];
}

export interface NotifyConfig {
  /** JSON POST targets (`webhook` and `webhooks` merged), each with a Slack-compatible `text`. */
  webhooks: string[];
  /** Command run with the notice in its environment (WALRUS_EVENT, WALRUS_SERVER, ...). */
  command?: string;
  /** A server dead this long is worth a human's attention. */
  deadForMs: number;
  /** The same notice (event and subject) is not sent again within this time. */
  repeatAfterMs: number;
  /** At most this many notices go out per minute; the rest are counted and logged. */
  maxPerMinute: number;
  /** Delivery attempts per webhook or command before giving up, with doubling delays. */
  attempts: number;
}

export interface MetricsConfig {
  /** HTTP listener for /metrics (Prometheus) and the live status page. */
  listen: HostPort;
}

export interface NodeConfig {
  file: string;
  node: {
    name: string;
    stateDir: string;
    listen: string[];
    bootstrap: string[];
  };
  site: Site;
  reporter?: ReporterConfig;
  controller?: ControllerConfig;
  nameserver?: NameserverConfig;
  notify: NotifyConfig;
  /** The location map's entries (from [site]; a map file's join them on load). */
  locations: LocationConfig;
  metrics?: MetricsConfig;
}
