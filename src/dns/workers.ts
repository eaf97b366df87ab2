// Processes that answer UDP for the node ([nameserver] workers = N ≥ 1): N children (`walrus
// dns-worker`), apart from the node's gossip and timers so its pauses never delay an answer. Each
// child serves UDP on the batched path (recvmmsg/sendmmsg on its own SO_REUSEPORT socket) when
// [nameserver] udp_io allows and its self-test passes, else on the portable path (Bun.udpSocket
// alone, node:dgram with SO_REUSEPORT beside others). The node keeps TCP. Over IPC the parent
// sends each child the site and its options once, then every zone change, every new learned
// location map and every newer site document (the site and its location map), and the child
// sends back its counters every second, or at once when the node asks (status and /metrics show
// what was answered up to the request); a child exits on SIGTERM or when its parent goes.
//
// Supervision: a child that exits, or whose counters stop coming (its loop is stuck), is killed
// and started again after a backoff of at most RESTART_BACKOFF_MAX_MS; while no child is up the
// node answers UDP itself (onNoneUp / onSomeUp).

import { spawn, type Subprocess } from "bun";
import type { HostPort } from "../core/host-port.ts";
import type { AreaName, ServerName, Site, StaticRecordSpec } from "../core/types.ts";
import { locationChooser } from "../geo/choose-area.ts";
import type { LocationSources } from "../geo/learning.ts";
import { LocationMap, parseMapText } from "../geo/location-map.ts";
import { SteeringCounts, UNCOVERED_TRACKED, type SteeringSnapshot } from "../geo/steering-counts.ts";
import { answerer, emptyStats, type DnsStats } from "./answerer.ts";
import { loadLibc } from "./libc.ts";
import type { RateLimiterOptions } from "./rate-limit.ts";
import { startDnsServer } from "./server.ts";
import type { SpillRoute } from "./spill-answer.ts";
import { fromBase64, toBase64, updateRelay, type UpdateFromNode, type UpdateToNode } from "./update-relay.ts";
import { updateLater } from "./update-later.ts";
import { selfTest, startBatchedUdp } from "./udp-batched-server.ts";
import { buildZone, type Zone } from "./zone.ts";
import { signingFor } from "./zone-keys.ts";

/** What changes at run time: the zone is rebuilt from it. */
export interface ZoneUpdate {
  serversByArea: [AreaName, ServerName[]][];
  spills: [AreaName, SpillRoute[]][];
  serial: number;
  /** Records set by RFC 2136 updates, beside the config's static ones. */
  records?: StaticRecordSpec[];
  /** Unix seconds the zone is signed at (a signed site): the node and its workers sign alike. */
  signedAt?: number;
}

export type UdpPath = "batched" | "portable";

/** What the node's own server and its workers answer with, built once by the node (plain data: it crosses to the workers). */
export interface ServeOptions {
  area: AreaName;
  listen: HostPort[];
  udpSize: number;
  rateLimit: RateLimiterOptions;
  /** [nameserver] udp_io: how workers do UDP. */
  udpIo: "auto" | "batched" | "portable";
}

/** The zone a nameserver of `area` answers from after `u`; the node and each worker build it alike. */
export function zoneFor(site: Site, area: AreaName, u: ZoneUpdate): Zone {
  const withUpdated = u.records?.length ? { ...site, records: [...(site.records ?? []), ...u.records] } : site;
  const dnssec = signingFor(site, u.signedAt ?? Math.floor(Date.now() / 1000));
  return buildZone({ site: withUpdated, servedArea: area, serversByArea: new Map(u.serversByArea), serial: u.serial, spills: new Map(u.spills), dnssec });
}

/** `locations`: the location map's lines (issue 7), so a worker answers from the same map. */
/** `updates`: the node judges RFC 2136 UPDATEs, so a worker hands those it receives over (update-relay.ts). */
type WorkerInit = { site: Site; serve: ServeOptions; shared: boolean; locations?: readonly string[]; updates: boolean };
/** `learned`: the learned map's lines (issue 18), sent at start and on every change. */
/** `site`: a newer site document was adopted: the site and its location map's lines; a zone built from it follows. */
type ToWorker =
  | ({ type: "init" } & WorkerInit)
  | { type: "zone"; update: ZoneUpdate }
  | { type: "learned"; lines: readonly string[] }
  | { type: "site"; site: Site; locations?: readonly string[] }
  | { type: "stats-now" }
  | UpdateFromNode;
type FromWorker =
  | UpdateToNode
  | { type: "ready"; path: UdpPath; fallbackReason?: string }
  | { type: "stats"; stats: DnsStats; steering?: SteeringSnapshot }
  | { type: "failed"; error: string };

const STATS_INTERVAL_MS = 1000;
/** How long a status or /metrics request waits for the workers' fresh counters. */
const FRESH_STATS_WAIT_MS = 500;
const READY_TIMEOUT_MS = 10_000;
/** Counters are sent every second: this long without them means the child is stuck. */
const STALL_MS = 3000;
const RESTART_BACKOFF_MIN_MS = 50;
const RESTART_BACKOFF_MAX_MS = 800;
/** A child that lived this long was healthy: the next restart starts the backoff again. */
const HEALTHY_AFTER_MS = 10_000;

export interface DnsWorkers {
  update(u: ZoneUpdate): void;
  updateLearned(lines: readonly string[]): void;
  /** A newer site document: sent before the zone built from it. */
  adoptSite(site: Site): void;
  /** Resolves once every answering worker's counters have come (or FRESH_STATS_WAIT_MS passed). */
  freshStats(): Promise<void>;
  /** Signals the workers, which exit at once; not waited for, so they stop beside the node (README, "Start and stop"). */
  stop(): void;
}

export interface DnsWorkersOptions {
  count: number;
  site: Site;
  serve: ServeOptions;
  first: ZoneUpdate;
  stats: DnsStats;
  location?: LocationSources;
  /** The node's RFC 2136 handler: UPDATEs a worker receives over UDP are judged here. */
  update?: (query: Uint8Array) => Promise<Uint8Array>;
  onReady?: (pid: number, path: UdpPath, fallbackReason: string | undefined) => void;
  /** A child went: why, and the delay before it is started again. */
  onExit?: (pid: number, why: string, restartInMs: number) => void;
  /** No child is answering UDP (the node should), and then one is again. */
  onNoneUp?: () => void;
  onSomeUp?: () => void;
}

/** The command that runs this program again as a worker, compiled or from source. */
function workerCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/");
  return compiled ? [process.execPath, "dns-worker"] : [process.execPath, Bun.main, "dns-worker"];
}

interface Child {
  proc: Subprocess;
  up: boolean;
  everUp?: boolean;
  startedAt: number;
  lastHeard: number;
  last: DnsStats;
  lastSteering?: SteeringSnapshot;
  /** Waiting for this child's next counters (freshStats). */
  heard: (() => void)[];
}

/** Starts `count` workers; resolves once every one is answering. Their counters are added into `stats`. */
export async function startDnsWorkers(o: DnsWorkersOptions): Promise<DnsWorkers> {
  let current = o.first;
  let site = o.site;
  let stopping = false;
  let noneUp = false;
  const children: Child[] = [];
  const backoffMs: number[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const firstReady: Promise<void>[] = [];

  const upCount = () => children.filter((c) => c?.up).length;
  const start = (slot: number, onFirst?: { ready: () => void; failed: (e: Error) => void }) => {
    const child: Child = { up: false, startedAt: Date.now(), lastHeard: Date.now(), last: emptyStats(), heard: [] as (() => void)[] } as Child;
    child.proc = spawn(workerCommand(), {
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      serialization: "json",
      ipc(message: FromWorker) {
        child.lastHeard = Date.now();
        if (message.type === "ready") {
          child.up = true;
          child.everUp = true;
          onFirst?.ready();
          o.onReady?.(child.proc.pid, message.path, message.fallbackReason);
          if (noneUp) {
            noneUp = false;
            o.onSomeUp?.();
          }
        } else if (message.type === "failed") onFirst?.failed(new Error(`dns worker: ${message.error}`));
        else if (message.type === "update" && o.update) {
          const { id } = message;
          void o.update(fromBase64(message.query)).then((reply) => {
            if (child.proc.exitCode === null && !child.proc.killed) child.proc.send({ type: "update-reply", id, reply: toBase64(reply) } satisfies ToWorker);
          });
        } else if (message.type === "stats") {
          addDelta(o.stats, message.stats, child.last);
          child.last = message.stats;
          if (message.steering && o.location) {
            o.location.steering.addDelta(message.steering, child.lastSteering ?? { byArea: {}, malformed: {}, uncovered: [] });
            child.lastSteering = message.steering;
          }
          for (const heard of child.heard.splice(0)) heard();
        }
      },
      onExit(_p, code, signal) {
        const wasUp = child.up;
        child.up = false;
        if (stopping || children[slot] !== child) return;
        // A first start that never came up fails the node's start; after that, exits are restarted.
        if (onFirst && !wasUp && !child.everUp) return onFirst.failed(new Error(`dns worker exited with ${code ?? signal}`));
        const lived = Date.now() - child.startedAt;
        const delay =
          lived > HEALTHY_AFTER_MS ? RESTART_BACKOFF_MIN_MS : Math.min(RESTART_BACKOFF_MAX_MS, (backoffMs[slot] ?? 0) * 2 || RESTART_BACKOFF_MIN_MS);
        backoffMs[slot] = delay;
        o.onExit?.(child.proc.pid, code === null ? `signal ${signal ?? "?"}` : `exit code ${code}`, delay);
        if (upCount() === 0 && !noneUp) {
          noneUp = true;
          o.onNoneUp?.();
        }
        const t = setTimeout(() => {
          timers.delete(t);
          if (stopping) return;
          o.stats.workerRestarts++;
          start(slot);
        }, delay);
        timers.add(t);
      },
    });
    child.proc.send({
      type: "init",
      site,
      serve: o.serve,
      shared: o.count > 1,
      locations: o.location?.map().lines,
      updates: !!o.update,
    } satisfies ToWorker);
    child.proc.send({ type: "zone", update: current } satisfies ToWorker);
    if (o.location?.learned) child.proc.send({ type: "learned", lines: o.location.learned.map().lines } satisfies ToWorker);
    children[slot] = child;
    return child;
  };

  for (let i = 0; i < o.count; i++) {
    firstReady.push(
      new Promise<void>((ready, failed) => {
        start(i, { ready, failed });
      }),
    );
  }

  let watchdog: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    clearInterval(watchdog);
    for (const c of children) c?.proc.kill("SIGTERM");
    // The node's stand-in UDP socket goes with the workers.
    if (noneUp) o.onSomeUp?.();
  };
  // A child whose counters stopped coming is stuck: kill it, and it is restarted like any exit.
  watchdog = setInterval(() => {
    for (const c of children) if (c?.up && Date.now() - c.lastHeard > STALL_MS) c.proc.kill("SIGKILL");
  }, STATS_INTERVAL_MS);
  const timeout = setTimeout(stop, READY_TIMEOUT_MS);
  try {
    await Promise.all(firstReady);
  } catch (err) {
    stop();
    throw err;
  } finally {
    clearTimeout(timeout);
  }
  return {
    update(u) {
      current = u;
      for (const c of children) if (!c.proc.killed && c.proc.exitCode === null) c.proc.send({ type: "zone", update: u } satisfies ToWorker);
    },
    updateLearned(lines) {
      for (const c of children) if (!c.proc.killed && c.proc.exitCode === null) c.proc.send({ type: "learned", lines } satisfies ToWorker);
    },
    adoptSite(next) {
      site = next;
      const locations = o.location?.map().lines;
      for (const c of children) if (!c.proc.killed && c.proc.exitCode === null) c.proc.send({ type: "site", site, locations } satisfies ToWorker);
    },
    async freshStats() {
      const asked = children
        .filter((c) => c.up && c.proc.exitCode === null)
        .map(
          (c) =>
            new Promise<void>((heard) => {
              c.heard.push(heard);
              c.proc.send({ type: "stats-now" } satisfies ToWorker);
            }),
        );
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(asked), new Promise<void>((late) => (waited = setTimeout(late, FRESH_STATS_WAIT_MS)))]);
      clearTimeout(waited);
    },
    stop,
  };
}

/** The child's side: `walrus dns-worker`, started by startDnsWorkers only. */
export function runDnsWorker(): void {
  let init: WorkerInit | undefined;
  let zone: Zone | undefined;
  let learned = new LocationMap([]);
  let map: LocationMap | undefined;
  const mapOf = (site: Site, lines: readonly string[] | undefined) =>
    lines && new LocationMap(parseMapText(lines.join("\n"), new Set<string>(site.areas.map((a) => a.name)), "location map").entries);
  const withRecordBytes = (site: Site): Site => ({ ...site, ...(site.records && { records: withBytes(site.records) }) });
  const send = (m: FromWorker) => process.send?.(m);
  const updates = updateRelay(send);
  /** Set once the worker answers: sends its counters. */
  let sendStats: (() => void) | undefined;
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw) => {
    const m = raw as ToWorker;
    if (m.type === "init") {
      init = { ...m, site: withRecordBytes(m.site) };
      map = mapOf(m.site, m.locations);
    } else if (m.type === "site" && init) {
      init = { ...init, site: withRecordBytes(m.site), locations: m.locations };
      map = mapOf(m.site, m.locations);
    } else if (m.type === "update-reply") updates.settle(m);
    else if (m.type === "stats-now") sendStats?.();
    else if (m.type === "learned" && init)
      learned = new LocationMap(parseMapText(m.lines.join("\n"), new Set<string>(init.site.areas.map((a) => a.name)), "learned map").entries);
    else if (m.type === "zone" && init) {
      const first = zone === undefined;
      zone = zoneFor(init.site, init.serve.area, { ...m.update, ...(m.update.records && { records: withBytes(m.update.records) }) });
      if (first) void serve(init);
    }
  });
  const serve = async ({ site, serve: o, shared, locations, updates: relayed }: WorkerInit) => {
    const update = relayed ? updates.relay : undefined;
    const areas = site.areas.map((a) => a.name);
    const steering = new SteeringCounts(areas);
    const chooseArea =
      locations &&
      locationChooser(
        () => map as LocationMap,
        o.area,
        steering,
        () => learned,
      );
    try {
      let stats: DnsStats | undefined;
      let fallbackReason: string | undefined;
      let path: UdpPath = "portable";
      if (o.udpIo !== "portable") {
        const sys = loadLibc();
        fallbackReason = typeof sys === "string" ? sys : await selfTest(sys);
        if (typeof sys !== "string" && !fallbackReason) {
          stats = emptyStats();
          const answers = answerer(
            {
              zone: () => zone as Zone,
              udpSize: o.udpSize,
              chooseArea,
              rateLimit: o.rateLimit,
              timesBatches: true,
              fail: () => void (stats as DnsStats).errors++,
            },
            stats,
          );
          const counted = stats;
          const takeUpdate = update && updateLater(update, counted, () => void counted.errors++);
          const started = startBatchedUdp(sys, o.listen, answers, stats, takeUpdate);
          if (typeof started === "string") ((fallbackReason = started), (stats = undefined));
          else path = "batched";
        }
        if (fallbackReason && o.udpIo === "batched") throw new Error(`udp_io = "batched" but ${fallbackReason}`);
      }
      if (!stats) {
        const portable = (udp: "shared" | "exclusive") =>
          startDnsServer({ listen: o.listen, zone: () => zone as Zone, udpSize: o.udpSize, rateLimit: o.rateLimit, udp, tcp: false, chooseArea, update });
        // Bun.udpSocket (cheaper) when the port is this worker's alone; it cannot share one, so
        // beside other workers, or the node answering while no worker was up, SO_REUSEPORT.
        const server = shared ? await portable("shared") : await portable("exclusive").catch(() => portable("shared"));
        stats = server.stats;
      }
      const counters = stats;
      sendStats = () => send({ type: "stats", stats: counters, steering: map && steering.snapshot(UNCOVERED_TRACKED) });
      setInterval(sendStats, STATS_INTERVAL_MS);
      send({ type: "ready", path, fallbackReason });
    } catch (err) {
      send({ type: "failed", error: String(err) });
      process.exit(1);
    }
  };
}

/** Adds what a worker counted since its previous report. */
function addDelta(into: DnsStats, now: DnsStats, before: DnsStats): void {
  for (const k of ["queries", "truncated", "dropped", "rateLimited", "errors", "dnssecSignatures", "dnssecCapped"] as const) into[k] += now[k] - before[k];
  for (const k of ["responses", "qtypes"] as const) {
    for (const [name, n] of Object.entries(now[k])) into[k][name] = (into[k][name] ?? 0) + n - (before[k][name] ?? 0);
  }
  now.latencyCounts.forEach((n, i) => (into.latencyCounts[i] = (into.latencyCounts[i] ?? 0) + n - (before.latencyCounts[i] ?? 0)));
}

/**
 * Records that crossed the JSON IPC channel: a TXT's parsed character-strings left as Buffers
 * and arrived as their JSON form ({ type: "Buffer", data }); they are Buffers again here.
 */
function withBytes(records: readonly StaticRecordSpec[]): StaticRecordSpec[] {
  const bytes = (x: unknown) => {
    const j = x as { type?: unknown; data?: unknown };
    return j && j.type === "Buffer" && Array.isArray(j.data) ? Buffer.from(j.data as number[]) : x;
  };
  return records.map((r) => (Array.isArray(r.rdata) ? { ...r, rdata: r.rdata.map(bytes) } : r));
}
