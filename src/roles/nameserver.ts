// Nameserver role: serves the site zone with the assignment of the master of this node's own
// view. It keeps every area's part of the assignment (resolvers may ask any area's server),
// writes the last applied assignment atomically and serves it again right after a restart.
import type { NameserverConfig } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import { startDnsServer, type DnsStats } from "../dns/server.ts";
import { buildZone, type Zone } from "../dns/zone.ts";
import { decode, encode } from "../net/messages.ts";
import type { StateDir } from "../state/store.ts";
import type { SiteView } from "./site-view.ts";

const ASSIGNMENT_FILE = "assignment.json";

export interface Nameserver {
  applied(): Assignment | undefined;
  stats: DnsStats;
  addresses: { host: string; port: number }[];
  stop(): Promise<void>;
}

export async function startNameserver(init: { site: Site; digest: string; cfg: NameserverConfig; view: SiteView; state: StateDir; log: Logger }): Promise<Nameserver> {
  const { site, digest, cfg, view, state, log } = init;
  const known = new Set<string>(site.servers.map((s) => s.name));
  let applied = loadSaved(state, digest);
  let serial = Math.floor(Date.now() / 1000);
  let zone: Zone = makeZone(applied);
  if (applied) log.info("serving the saved assignment", { master: applied.master, epoch: applied.epoch, seq: applied.seq });

  function makeZone(a: Assignment | undefined): Zone {
    const serversByArea = new Map<AreaName, ServerName[]>();
    for (const x of a?.areas ?? []) serversByArea.set(x.area, x.servers.filter((s) => known.has(s)));
    return buildZone({ site, servedArea: cfg.area, serversByArea, serial });
  }

  /** Applies the newest assignment of the master of our own view, if it is new to us. */
  const reconsider = () => {
    const master = view.master();
    if (!master) return;
    const a = view.assignmentsBy.get(master);
    if (!a || a === applied) return;
    if (applied && applied.master === a.master && (a.epoch < applied.epoch || (a.epoch === applied.epoch && a.seq <= applied.seq))) return;
    const before = applied;
    applied = a;
    if (before?.master !== a.master) log.info("following the master's assignments", { master: a.master, epoch: a.epoch, seq: a.seq });
    const changed = JSON.stringify(before?.areas.map((x) => [x.area, x.servers])) !== JSON.stringify(a.areas.map((x) => [x.area, x.servers]));
    if (!changed) return;
    serial = Math.max(serial + 1, Math.floor(Date.now() / 1000));
    zone = makeZone(a);
    state.write(ASSIGNMENT_FILE, encode({ type: "assignment", site: digest, assignment: a }));
    const mine = a.areas.find((x) => x.area === cfg.area);
    log.info("assignment applied", { master: a.master, epoch: a.epoch, seq: a.seq, area: cfg.area, cluster: mine?.cluster ?? "-", servers: mine?.servers.join(",") ?? "-" });
  };
  view.onAssignment(reconsider);
  view.onChange(reconsider);

  const dns = await startDnsServer({
    listen: cfg.listen,
    zone: () => zone,
    onError: (what, err) => log.warn("dns error", { what, error: String(err) }),
  });
  log.info("answering DNS", { area: cfg.area, listen: dns.addresses.map((a) => `${a.host}:${a.port}`).join(" ") });
  return { applied: () => applied, stats: dns.stats, addresses: dns.addresses, stop: () => dns.close() };
}

/** The saved assignment is stored as its gossip message, so the same schema check guards it. */
function loadSaved(state: StateDir, digest: string): Assignment | undefined {
  const bytes = state.read(ASSIGNMENT_FILE);
  if (!bytes) return undefined;
  const d = decode("assignments", bytes);
  return d.ok && d.msg.type === "assignment" && d.msg.site === digest ? d.msg.assignment : undefined;
}
