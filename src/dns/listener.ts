// The nameserver's sockets: the node's own DNS server (TCP, and UDP unless workers answer it) and,
// with [nameserver] workers = N, the UDP worker processes. The role hands it the zone in force;
// the simulator runs the role without it.
import type { Logger } from "../core/log.ts";
import type { Site } from "../core/types.ts";
import { locationChooser } from "../geo/choose-area.ts";
import type { LocationSources } from "../geo/learning.ts";
import type { NameserverConfig } from "./config.ts";
import { oversizedClusters } from "./fit.ts";
import { startDnsServer, type DnsServerOptions, type DnsStats } from "./server.ts";
import { workerSupervision } from "./worker-log.ts";
import { startDnsWorkers, type DnsWorkers, type ServeOptions, type ZoneUpdate } from "./workers.ts";
import type { Zone } from "./zone.ts";

export interface DnsListenerInit {
  site: Site;
  cfg: NameserverConfig;
  /** Read per query: a new assignment takes effect on the next one. */
  zone: () => Zone;
  /** What the zone in force was built from, for workers that build their own. */
  zoneUpdate: () => ZoneUpdate;
  /** The role's counters; the server and the workers add into them. */
  stats: DnsStats;
  location?: LocationSources;
  /** RFC 2136 UPDATE (update-handler.ts); absent: answered NOTIMP. */
  update?: (query: Uint8Array) => Promise<Uint8Array>;
  log: Logger;
}

export interface DnsListener {
  /** Passes a zone change on to the workers (the node's own server reads `zone()` per query). */
  update(u: ZoneUpdate): void;
  /** A newer site document: workers take it (the node's own server reads the zone and map per query). */
  adoptSite(site: Site): void;
  /** Resolves once `stats` holds what the workers counted up to now. */
  freshStats(): Promise<void>;
  stop(): Promise<void>;
}

export type StartDnsListener = (init: DnsListenerInit) => Promise<DnsListener>;

export async function startDnsListener(init: DnsListenerInit): Promise<DnsListener> {
  const { site, cfg, log } = init;
  const serve: ServeOptions = {
    area: cfg.area,
    listen: cfg.listen,
    udpSize: cfg.udpSize,
    rateLimit: { perSecond: cfg.rateLimit, ipv4Prefix: cfg.rateLimitIpv4Prefix, ipv6Prefix: cfg.rateLimitIpv6Prefix },
    udpIo: cfg.udpIo,
  };
  const options: DnsServerOptions = {
    listen: serve.listen,
    udpSize: serve.udpSize,
    rateLimit: serve.rateLimit,
    zone: init.zone,
    stats: init.stats,
    udp: cfg.workers > 0 ? "none" : "exclusive",
    tcpIdleMs: cfg.tcpIdleMs,
    tcpMaxConnections: cfg.tcpMaxConnections,
    transferAllow: cfg.transferAllow,
    chooseArea: init.location && locationChooser(init.location.map, cfg.area, init.location.steering, init.location.learned?.map),
    update: init.update,
    onError: (what, err) => log.warn("dns error", { what, error: String(err) }),
  };
  const dns = await startDnsServer(options);
  for (const o of oversizedClusters(site, cfg.udpSize)) {
    log.warn("a cluster's full answer does not fit one UDP datagram: resolvers will retry over TCP; lower [site] max_answer_addresses to avoid it", {
      cluster: o.cluster,
      type: o.type,
      addresses: o.addresses,
      bytes: o.bytes,
      udp_size: cfg.udpSize,
    });
  }
  let workers: DnsWorkers | undefined;
  try {
    if (cfg.workers > 0) {
      // UDP on the ports the node's TCP got: a configured port 0 is drawn once, for all of them.
      const listen = dns.addresses;
      // While no worker is up, the node answers UDP beside their sockets (SO_REUSEPORT).
      const standIn = () => startDnsServer({ ...options, listen, udp: "shared", tcp: false });
      workers = await startDnsWorkers({
        count: cfg.workers,
        site,
        serve: { ...serve, listen },
        first: init.zoneUpdate(),
        stats: init.stats,
        location: init.location,
        update: init.update,
        ...workerSupervision(log, standIn),
      });
      init.location?.learned?.onChange((m) => workers?.updateLearned(m.lines));
    }
  } catch (err) {
    await dns.close();
    throw err;
  }
  log.info("answering DNS", { workers: cfg.workers, area: cfg.area, listen: dns.addresses.map((a) => `${a.host}:${a.port}`).join(" ") });
  return {
    update: (u) => workers?.update(u),
    adoptSite: (site) => workers?.adoptSite(site),
    freshStats: async () => workers?.freshStats(),
    async stop() {
      workers?.stop();
      await dns.close();
    },
  };
}
