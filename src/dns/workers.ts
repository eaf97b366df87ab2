// Processes that answer UDP for the node ([nameserver] workers = N ≥ 1): N children (`walrus
// dns-worker`), apart from the node's gossip and timers so its pauses never delay an answer. One
// child uses Bun.udpSocket; several bind the same port with SO_REUSEPORT and the kernel spreads
// datagrams among them. The node keeps TCP. Over IPC the parent sends each
// child the site and its options once, then every zone change (the assignment and the serial),
// and the child sends back its counters every second. A child exits when its parent goes.

import { spawn, type Subprocess } from "bun";
import type { HostPort } from "../core/host-port.ts";
import type { AreaName, ServerName, Site } from "../core/types.ts";
import { locationChooser } from "../geo/choose-area.ts";
import { LocationMap, parseMapText } from "../geo/location-map.ts";
import { SteeringCounts, UNCOVERED_TRACKED, type SteeringSnapshot } from "../geo/steering-counts.ts";
import type { RateLimiterOptions } from "./rate-limit.ts";
import { startDnsServer, emptyStats, type DnsStats } from "./server.ts";
import { buildZone, type Zone } from "./zone.ts";

/** What changes at run time: the zone is rebuilt from it. */
export interface ZoneUpdate {
  serversByArea: [AreaName, ServerName[]][];
  serial: number;
}

/** What the node's own server and its workers answer with, built once by the node (plain data: it crosses to the workers). */
export interface ServeOptions {
  area: AreaName;
  listen: HostPort[];
  udpSize: number;
  rateLimit: RateLimiterOptions;
}

/** The zone a nameserver of `area` answers from after `u`; the node and each worker build it alike. */
export function zoneFor(site: Site, area: AreaName, u: ZoneUpdate): Zone {
  return buildZone({ site, servedArea: area, serversByArea: new Map(u.serversByArea), serial: u.serial });
}

/** `locations`: the location map's lines (issue 7), so a worker answers from the same map. */
type WorkerInit = { site: Site; serve: ServeOptions; shared: boolean; locations?: readonly string[] };
type ToWorker = ({ type: "init" } & WorkerInit) | { type: "zone"; update: ZoneUpdate };
type FromWorker = { type: "ready" } | { type: "stats"; stats: DnsStats; steering?: SteeringSnapshot } | { type: "failed"; error: string };

const STATS_INTERVAL_MS = 1000;
const READY_TIMEOUT_MS = 10_000;

export interface DnsWorkers {
  update(u: ZoneUpdate): void;
  stop(): Promise<void>;
}

/** The command that runs this program again as a worker, compiled or from source. */
function workerCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/");
  return compiled ? [process.execPath, "dns-worker"] : [process.execPath, Bun.main, "dns-worker"];
}

/** Starts `count` workers; resolves once every one has bound its sockets. Their counters are added into `stats`. */
export async function startDnsWorkers(o: { count: number; site: Site; serve: ServeOptions; first: ZoneUpdate; stats: DnsStats; location?: { map: LocationMap; steering: SteeringCounts }; onExit: (code: number | null) => void }): Promise<DnsWorkers> {
  let current = o.first;
  let stopping = false;
  const children: { proc: Subprocess; last: DnsStats; lastSteering?: SteeringSnapshot }[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    let signalReady: () => void = () => {};
    let signalFailed: (e: Error) => void = () => {};
    ready.push(new Promise<void>((resolve, reject) => ((signalReady = resolve), (signalFailed = reject))));
    const child = { last: emptyStats() } as (typeof children)[number];
    child.proc = spawn(workerCommand(), {
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      serialization: "json",
      ipc(message: FromWorker) {
        if (message.type === "ready") signalReady();
        else if (message.type === "failed") signalFailed(new Error(`dns worker: ${message.error}`));
        else if (message.type === "stats") {
          addDelta(o.stats, message.stats, child.last);
          child.last = message.stats;
          if (message.steering && o.location) {
            o.location.steering.addDelta(message.steering, child.lastSteering ?? { byArea: {}, malformed: {}, uncovered: [] });
            child.lastSteering = message.steering;
          }
        }
      },
      onExit(_p, code) {
        signalFailed(new Error(`dns worker exited with ${code}`));
        if (!stopping) o.onExit(code);
      },
    });
    child.proc.send({ type: "init", site: o.site, serve: o.serve, shared: o.count > 1, locations: o.location?.map.lines } satisfies ToWorker);
    child.proc.send({ type: "zone", update: current } satisfies ToWorker);
    children.push(child);
  }
  const stop = async () => {
    stopping = true;
    for (const c of children) c.proc.kill("SIGTERM");
    await Promise.all(children.map((c) => c.proc.exited));
  };
  const timeout = setTimeout(() => void stop(), READY_TIMEOUT_MS);
  try {
    await Promise.all(ready);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timeout);
  }
  return {
    update(u) {
      current = u;
      for (const c of children) if (!c.proc.killed) c.proc.send({ type: "zone", update: u } satisfies ToWorker);
    },
    stop,
  };
}

/** The child's side: `walrus dns-worker`, started by startDnsWorkers only. */
export function runDnsWorker(): void {
  let init: WorkerInit | undefined;
  let zone: Zone | undefined;
  const send = (m: FromWorker) => process.send?.(m);
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw) => {
    const m = raw as ToWorker;
    if (m.type === "init") init = m;
    else if (init) {
      const first = zone === undefined;
      zone = zoneFor(init.site, init.serve.area, m.update);
      if (first) void serve(init);
    }
  });
  const serve = async ({ site, serve: o, shared, locations }: WorkerInit) => {
    const areas = site.areas.map((a) => a.name);
    const steering = new SteeringCounts(areas);
    const map = locations && new LocationMap(parseMapText(locations.join("\n"), new Set<string>(areas), "location map").entries);
    try {
      const server = await startDnsServer({
        listen: o.listen,
        zone: () => zone as Zone,
        udpSize: o.udpSize,
        rateLimit: o.rateLimit,
        udp: shared ? "shared" : "exclusive",
        tcp: false,
        chooseArea: map && locationChooser(map, o.area, steering),
      });
      setInterval(() => send({ type: "stats", stats: server.stats, steering: map && steering.snapshot(UNCOVERED_TRACKED) }), STATS_INTERVAL_MS);
      send({ type: "ready" });
    } catch (err) {
      send({ type: "failed", error: String(err) });
      process.exit(1);
    }
  };
}

/** Adds what a worker counted since its previous report. */
function addDelta(into: DnsStats, now: DnsStats, before: DnsStats): void {
  for (const k of ["queries", "truncated", "dropped", "rateLimited", "errors"] as const) into[k] += now[k] - before[k];
  for (const k of ["responses", "qtypes"] as const) {
    for (const [name, n] of Object.entries(now[k])) into[k][name] = (into[k][name] ?? 0) + n - (before[k][name] ?? 0);
  }
  now.latencyCounts.forEach((n, i) => (into.latencyCounts[i] = (into.latencyCounts[i] ?? 0) + n - (before.latencyCounts[i] ?? 0)));
}
