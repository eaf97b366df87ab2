// Nameserver role: keeps the zone for what ServedAssignment says is in force, and hands it to the
// DNS listener (sockets and workers) when the node has one; the simulator runs it without.
// It keeps every area's part of the assignment (resolvers may ask any area's server).
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import type { NameserverConfig } from "../dns/config.ts";
import type { DnsListener, StartDnsListener } from "../dns/listener.ts";
import { sendNotify } from "../dns/notify.ts";
import { emptyStats, type DnsStats } from "../dns/server.ts";
import { zoneFor, type ZoneUpdate } from "../dns/workers.ts";
import { signingDue, signingProblem } from "../dns/zone-keys.ts";
import type { Zone } from "../dns/zone.ts";
import type { LocationSources } from "../geo/learning.ts";
import type { StateStore } from "../state/store.ts";
import { ServedAssignment, type Served } from "./served-assignment.ts";
import type { SiteView } from "./site-view.ts";
import { receiveUpdates } from "./update-receiver.ts";
import type { UpdatedRecords } from "./updated-records.ts";

/** RFC 1996 §3.6 leaves the schedule open: five tries, two seconds apart. */
const NOTIFY_RETRY = { attempts: 5, timeoutMs: 2000 };
/** How often a signed zone's keys and signatures are checked: a key change shows within this. */
const SIGNING_CHECK_MS = 1000;

export interface NameserverInit {
  site: Site;
  digest: string;
  cfg: NameserverConfig;
  location?: LocationSources;
  /** Records set by RFC 2136 updates, shared by every nameserver of the site. */
  records?: UpdatedRecords;
}

export interface NameserverComponents {
  view: SiteView;
  store: StateStore;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Absent: no sockets (the simulator asks `served()` what would be answered). */
  listen?: StartDnsListener;
}

export interface Nameserver {
  served(): Served;
  /** A newer site document: servers, names and records answered from it at the next query. */
  adoptSite(site: Site): void;
  stats: DnsStats;
  /** Resolves once `stats` holds what was answered up to now (DNS workers report theirs every second otherwise). */
  freshStats(): Promise<void>;
  /** Resolves once the listener (if any) answers. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startNameserver(init: NameserverInit, c: NameserverComponents): Nameserver {
  const { cfg } = init;
  const { clock, log } = c;
  let site = init.site;
  let known = new Set<string>(site.servers.map((s) => s.name));
  const served = new ServedAssignment({ site, digest: init.digest, view: c.view, state: c.store, clock, log });
  const stats = emptyStats();
  let serial = Math.floor(clock() / 1000);

  const assigned = (a: Assignment | undefined) => {
    const serversByArea = new Map<AreaName, ServerName[]>();
    for (const x of a?.areas ?? [])
      serversByArea.set(
        x.area,
        x.servers.filter((s) => known.has(s)),
      );
    return serversByArea;
  };
  const spills = (a: Assignment | undefined) =>
    new Map(
      (a?.areas ?? []).filter((x) => x.spill).map((x) => [x.area, (x.spill ?? []).map((s) => ({ ...s, servers: s.servers.filter((n) => known.has(n)) }))]),
    );
  let signedAt = 0;
  const zoneUpdate = (): ZoneUpdate => ({
    serversByArea: [...assigned(served.current().assignment)],
    spills: [...spills(served.current().assignment)],
    serial,
    ...(init.records ? { records: init.records.asRecords() } : {}),
    ...(site.dnssecKeys ? { signedAt } : {}),
  });
  const makeZone = (): Zone => {
    signedAt = Math.floor(clock() / 1000);
    return zoneFor(site, cfg.area, zoneUpdate());
  };
  let listener: DnsListener | undefined;
  let zone = makeZone();
  const rebuild = () => {
    serial = Math.max(serial + 1, Math.floor(clock() / 1000));
    zone = makeZone();
    listener?.update(zoneUpdate());
  };
  served.onChange(() => {
    rebuild();
    const { assignment, source } = served.current();
    const mine = assignment?.areas.find((x) => x.area === cfg.area);
    log.info("assignment applied", {
      source,
      master: assignment?.master ?? "-",
      epoch: assignment?.epoch ?? 0,
      seq: assignment?.seq ?? 0,
      area: cfg.area,
      cluster: mine?.cluster ?? "-",
      servers: mine?.servers.join(",") ?? "-",
    });
  });
  init.records?.onChange(() => {
    serial = Math.max(serial + 1, Math.floor(clock() / 1000));
    zone = makeZone();
    listener?.update(zoneUpdate());
    for (const t of cfg.notify ?? []) {
      sendNotify(t, site.zone, NOTIFY_RETRY).then(
        (rcode) => log.info("secondary notified", { secondary: `${t.host}:${t.port}`, serial, rcode }),
        (err) => log.warn("secondary not notified", { secondary: `${t.host}:${t.port}`, serial, error: String(err) }),
      );
    }
  });
  // Staleness grows with time alone: look again every round.
  const stopTicks = c.timers.every(site.roundIntervalMs, () => served.refresh());
  // A signed zone is built again when its keys change or a signature is due (issue 21).
  const stopSigning = site.dnssecKeys
    ? c.timers.every(SIGNING_CHECK_MS, () => {
        if (!signingDue(site, Math.floor(clock() / 1000))) return;
        zone = makeZone();
        listener?.update(zoneUpdate());
        const problem = signingProblem();
        if (problem) log.error("DNSSEC keys not taken: signing with the keys held before", { error: problem });
        else log.info("zone signed again", { signedAt });
      })
    : () => {};

  const update = init.records && receiveUpdates({ site, cfg, records: init.records, origin: c.view.self, clock, log });
  const ready = c.listen
    ? c.listen({ site, cfg, zone: () => zone, zoneUpdate, stats, location: init.location, update, log }).then((l) => void (listener = l))
    : Promise.resolve();
  return {
    served: () => served.current(),
    adoptSite(next) {
      site = next;
      known = new Set<string>(next.servers.map((s) => s.name));
      listener?.adoptSite(next);
      served.adoptSite(next);
      rebuild();
    },
    stats,
    freshStats: async () => listener?.freshStats(),
    ready,
    async stop() {
      stopTicks();
      stopSigning();
      await ready.catch(() => {});
      await listener?.stop();
    },
  };
}
