// Nameserver role: answers DNS for the site zone from what ServedAssignment says is in force.
// It keeps every area's part of the assignment (resolvers may ask any area's server).
import type { NameserverConfig } from "../dns/config.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import { parseAllowed } from "../dns/config.ts";
import { oversizedClusters } from "../dns/fit.ts";
import { startDnsServer, type DnsStats } from "../dns/server.ts";
import { startDnsWorkers, type DnsWorkers } from "../dns/workers.ts";
import { locationChooser } from "../geo/choose-area.ts";
import type { LocationMap } from "../geo/location-map.ts";
import type { SteeringCounts } from "../geo/steering-counts.ts";
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

export async function startNameserver(init: { site: Site; digest: string; cfg: NameserverConfig; view: SiteView; state: StateStore; clock: Clock; timers: Timers; log: Logger; location?: { map: LocationMap; steering: SteeringCounts } }): Promise<Nameserver> {
  const { site, cfg, log } = init;
  const known = new Set<string>(site.servers.map((s) => s.name));
  const served = new ServedAssignment(init);
  let serial = Math.floor(init.clock() / 1000);

  const assigned = (a: Assignment | undefined) => {
    const serversByArea = new Map<AreaName, ServerName[]>();
    for (const x of a?.areas ?? []) serversByArea.set(x.area, x.servers.filter((s) => known.has(s)));
    return serversByArea;
  };
  const makeZone = (a: Assignment | undefined): Zone => buildZone({ site, servedArea: cfg.area, serversByArea: assigned(a), serial });
  let workers: DnsWorkers | undefined;
  let zone = makeZone(served.current().assignment);
  served.onChange(() => {
    serial = Math.max(serial + 1, Math.floor(init.clock() / 1000));
    const { assignment, source } = served.current();
    zone = makeZone(assignment);
    workers?.update({ serversByArea: [...assigned(assignment)], serial });
    const mine = assignment?.areas.find((x) => x.area === cfg.area);
    log.info("assignment applied", { source, master: assignment?.master ?? "-", epoch: assignment?.epoch ?? 0, seq: assignment?.seq ?? 0, area: cfg.area, cluster: mine?.cluster ?? "-", servers: mine?.servers.join(",") ?? "-" });
  });
  // Staleness grows with time alone: look again every round.
  const stopTicks = init.timers.every(site.roundIntervalMs, () => served.refresh());

  const dns = await startDnsServer({
    listen: cfg.listen,
    zone: () => zone,
    udpSize: cfg.udpSize,
    udp: cfg.workers > 0 ? "none" : "exclusive",
    tcpIdleMs: cfg.tcpIdleMs,
    tcpMaxConnections: cfg.tcpMaxConnections,
    transferAllow: cfg.transferAllow.map(parseAllowed).filter((p) => typeof p !== "string"),
    rateLimit: { perSecond: cfg.rateLimit, ipv4Prefix: cfg.rateLimitIpv4Prefix, ipv6Prefix: cfg.rateLimitIpv6Prefix },
    chooseArea: init.location && locationChooser(init.location.map, cfg.area, init.location.steering),
    onError: (what, err) => log.warn("dns error", { what, error: String(err) }),
  });
  for (const o of oversizedClusters(site, cfg.udpSize)) {
    log.warn("a cluster's full answer does not fit one UDP datagram: resolvers will retry over TCP; lower [site] max_answer_addresses to avoid it", { cluster: o.cluster, type: o.type, addresses: o.addresses, bytes: o.bytes, udp_size: cfg.udpSize });
  }
  if (cfg.workers > 0) {
    workers = await startDnsWorkers({
      count: cfg.workers,
      site,
      cfg,
      first: { serversByArea: [...assigned(served.current().assignment)], serial },
      stats: dns.stats,
      location: init.location,
      onExit: (code) => log.error("a dns worker exited", { code: code ?? "signal" }),
    });
  }
  log.info("answering DNS", { workers: cfg.workers, area: cfg.area, listen: dns.addresses.map((a) => `${a.host}:${a.port}`).join(" ") });
  return {
    served: () => served.current(),
    stats: dns.stats,
    addresses: dns.addresses,
    async stop() {
      stopTicks();
      await workers?.stop();
      await dns.close();
    },
  };
}
