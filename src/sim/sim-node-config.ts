// A simulated node's config, as validation would give it for the site and one node's role tables
// with every other key left to its default.
import type { NodeConfig } from "../config/types.ts";
import { validateSpread } from "../config/spread.ts";
import { validateNotify } from "../config/validate.ts";
import { Fields } from "../core/fields.ts";
import type { AreaName, ServerName, Site } from "../core/types.ts";
import { nameserverDns } from "../dns/config.ts";
import { validateLearn } from "../geo/learn-config.ts";

/** An area node is a controller candidate and the area's nameserver; a server node its reporter. */
export type SimNodeRoles = { name: string; area: AreaName; priority: number } | { name: string; server: ServerName };

export function simNodeConfig(site: Site, n: SimNodeRoles): NodeConfig {
  const f = new Fields("(simulator)");
  const config: NodeConfig = {
    file: "(simulator)",
    siteTable: {},
    node: { name: n.name, stateDir: "", listen: [], bootstrap: [], operatorKeys: [] },
    site,
    grants: [],
    locations: { entries: [] },
    notify: validateNotify(f, {}, site.deadAfterMs),
    learn: validateLearn(f, {}),
    spread: validateSpread(f, {}),
  };
  if ("area" in n) {
    config.controller = { priority: n.priority };
    config.nameserver = { area: n.area, listen: [], ...nameserverDns(f, {}) };
  } else {
    // The simulated collector stands in for the source; one probe decides, as the thesis' reporter did.
    config.reporter = {
      server: n.server,
      source: { kind: "tcp", address: { host: "127.0.0.1", port: 0 } },
      timeoutMs: site.reportIntervalMs,
      fallCount: 1,
      riseCount: 1,
      fastProbeMs: 100,
    };
  }
  return config;
}
