import type { AreaName, ServerName, Site } from "../core/types.ts";

export interface HostPort {
  host: string;
  port: number;
}

export interface ReporterConfig {
  /** The server (a key of [site.servers]) this reporter measures. */
  server: ServerName;
  /** Apache mod_status page in ?auto form. */
  statusUrl: string;
  timeoutMs: number;
  /** Consecutive failed probes before PANIC. */
  fallCount: number;
  /** Consecutive good probes before a PANIC clears. */
  riseCount: number;
}

export interface ControllerConfig {
  /** Lower ranks first in the ordered view; the first live candidate is master. */
  priority: number;
}

export interface NameserverConfig {
  area: AreaName;
  listen: HostPort[];
}

export interface NotifyConfig {
  /** JSON POST target for PANIC notices (thesis Phase One). */
  webhook?: string;
  /** Command run with the notice in its environment (WALRUS_EVENT, WALRUS_SERVER, ...). */
  command?: string;
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
}
