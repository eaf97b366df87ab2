import type { DirectorConfig } from "../director/config.ts";
import type { Grant, OperatorKeyText, Site } from "../core/types.ts";
import type { HostPort } from "../core/host-port.ts";
import type { NameserverConfig } from "../dns/config.ts";
import type { LearnConfig } from "../geo/learn-config.ts";
import type { ReporterConfig } from "../report/config.ts";
import type { LocationConfig } from "../geo/map-config.ts";
import type { ReplicatorConfig } from "../replicate/config.ts";

export interface ControllerConfig {
  /** Lower ranks first in the ordered view; the first live candidate is master. */
  priority: number;
}

export interface NotifyConfig {
  /** JSON POST targets (`webhook` and `webhooks` merged), each with a Slack-compatible `text`. */
  webhooks: string[];
  /** Command run with the notice in its environment (WALRUS_EVENT, WALRUS_SERVER, ...). */
  command?: string;
  /** A server dead this long is worth a human's attention. */
  deadForMs: number;
  /** A server not on the current release this long (past content_grace_ms) is worth a human's attention. */
  staleForMs: number;
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

export interface SpreadConfig {
  /** A server whose share of its cluster's requests is at least this many times an even split ... */
  skewFactor: number;
  /** ... averaged over this long, makes `walrus status` warn. */
  skewForMs: number;
}

export interface NodeConfig {
  file: string;
  /** The [site] table as written (without secret_file): what a site document carries and `walrus site diff` compares. */
  siteTable: Readonly<Record<string, unknown>>;
  node: {
    name: string;
    stateDir: string;
    listen: string[];
    bootstrap: string[];
    /** Operator public keys whose grants count; none: the site runs open (no grants). */
    operatorKeys: OperatorKeyText[];
    /** This node's grants file, read on load into `grants`. */
    grantsFile?: string;
  };
  /** This node's own grants, presented in its heartbeats. */
  grants: Grant[];
  site: Site;
  reporter?: ReporterConfig;
  controller?: ControllerConfig;
  nameserver?: NameserverConfig;
  director?: DirectorConfig;
  /** Pushes releases of the site's documents to every web server (walrus publish). */
  replicator?: ReplicatorConfig;
  notify: NotifyConfig;
  /** The location map's entries (from [site]; a map file's join them on load). */
  locations: LocationConfig;
  /** Learning where resolvers are ([learn]); nameservers only. */
  learn: LearnConfig;
  metrics?: MetricsConfig;
  spread: SpreadConfig;
}
