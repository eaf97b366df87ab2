// Nameserver role: answers DNS for the site zone from what ServedAssignment says is in force.
// It keeps every area's part of the assignment (resolvers may ask any area's server).
import type { NameserverConfig } from "../config/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import { startDnsServer, type DnsStats } from "../dns/server.ts";
import { buildZone, type Zone } from "../dns/zone.ts";
import type { StateStore } from "../state/store.ts";
import { ServedAssignment, type Served } from "./served-assignment.ts";
import type { SiteView } from "./site-view.ts";

export interface Nameserver {
  served(): Served;
  stats: DnsStats;
  addresses: { host: string; port: number }[];
  stop(): Promise<void>;
}

export async function startNameserver(init: { site: Site; digest: string; cfg: NameserverConfig; view: SiteView; state: StateStore; clock: Clock; timers: Timers; log: Logger }): Promise<Nameserver> {
  const { site, cfg, log } = init;
  const known = new Set<string>(site.servers.map((s) => s.name));
  const served = new ServedAssignment(init);
  let serial = Math.floor(init.clock() / 1000);

  const makeZone = (a: Assignment | undefined): Zone => {
    const serversByArea = new Map<AreaName, ServerName[]>();
    for (const x of a?.areas ?? []) serversByArea.set(x.area, x.servers.filter((s) => known.has(s)));
    return buildZone({ site, servedArea: cfg.area, serversByArea, serial });
  };
  let zone = makeZone(served.current().assignment);
  served.onChange(() => {
    serial = Math.max(serial + 1, Math.floor(init.clock() / 1000));
    const { assignment, source } = served.current();
    zone = makeZone(assignment);
    const mine = assignment?.areas.find((x) => x.area === cfg.area);
    log.info("assignment applied", { source, master: assignment?.master ?? "-", epoch: assignment?.epoch ?? 0, seq: assignment?.seq ?? 0, area: cfg.area, cluster: mine?.cluster ?? "-", servers: mine?.servers.join(",") ?? "-" });
  });
  // Staleness grows with time alone: look again every round.
  const stopTicks = init.timers.every(site.roundIntervalMs, () => served.refresh());

  const dns = await startDnsServer({
    listen: cfg.listen,
    zone: () => zone,
    onError: (what, err) => log.warn("dns error", { what, error: String(err) }),
  });
  log.info("answering DNS", { area: cfg.area, listen: dns.addresses.map((a) => `${a.host}:${a.port}`).join(" ") });
  return {
    served: () => served.current(),
    stats: dns.stats,
    addresses: dns.addresses,
    async stop() {
      stopTicks();
      await dns.close();
    },
  };
}
