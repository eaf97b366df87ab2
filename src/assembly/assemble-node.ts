// One node from its config and its parts: the site view on the bus, heartbeats, the enabled
// roles and ops. The parts are what differs between a deployed node (libp2p, the state
// directory, real timers, the real collector and DNS sockets: node.ts) and a simulated one (the
// in-memory network and store, the manual clock, a simulated collector, no sockets: sim/).
import type { SiteRelease } from "../core/types.ts";
import { siteDigest } from "../config/digest.ts";
import type { NodeConfig } from "../config/types.ts";
import type { Reply, Request } from "../control/protocol.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import { serverName, type Assignment, type ServerName } from "../core/types.ts";
import type { StartDnsListener } from "../dns/listener.ts";
import type { StartLearning } from "../geo/learning.ts";
import { LocationMap } from "../geo/location-map.ts";
import { SteeringCounts } from "../geo/steering-counts.ts";
import { heartbeatEveryMs } from "../membership/view.ts";
import { topicsRead, type Bus } from "../net/bus.ts";
import type { HeartbeatMsg } from "../net/messages.ts";
import type { PeerSigner } from "../net/peer-keys.ts";
import { startOps, type Ops } from "../ops/start-ops.ts";
import type { Collector } from "../report/collect.ts";
import type { ReplicateResult } from "../replicate/publish.ts";
import { behindCurrent, startResync, type Resync } from "../replicate/resync.ts";
import { startDirector } from "../director/director.ts";
import { startController } from "../roles/controller.ts";
import { startNameserver, type Nameserver } from "../roles/nameserver.ts";
import { startReporter } from "../roles/reporter.ts";
import { SiteDocs } from "../roles/site-docs.ts";
import { SiteView } from "../roles/site-view.ts";
import { startUpdatedRecords } from "../roles/updated-records.ts";
import type { StateStore } from "../state/store.ts";

/**
 * After a peer connects, a slow-paced node beats at these times: its gossipsub subscriptions must
 * arrive first, or the beat goes to nobody, and on a busy host they took longer than the first
 * (a reporter whose grants went unheard had its reports refused until its 20th tick, ~33 s).
 */
const NEW_PEER_BEATS_MS = [300, 1500, 5000];

export interface NodeParts {
  bus: Bus;
  store: StateStore;
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** Required with [reporter]: what the reporter measures. */
  collector?: Collector;
  /** Starts the nameserver's sockets; absent: the nameserver keeps its zone without answering. */
  listen?: StartDnsListener;
  /** Signs the drains this node issues (its identity key); absent in the simulator. */
  signer?: PeerSigner;
  /** Starts learning where resolvers are (probes from a child process); absent: no learned map. */
  learn?: StartLearning;
  /** Called with every assignment this node's controller publishes (the simulator checks them). */
  onDecision?: (a: Assignment) => void;
  /** With [replicator]: the release every web server should serve (from the replicator's record). */
  release?: () => SiteRelease | undefined;
  /** With [replicator]: pushes the current release to these servers (publish.ts); absent: no resync. */
  resync?: (servers: readonly ServerName[]) => Promise<ReplicateResult>;
  /** With [replicator]: opens (or keeps open) the ssh connection to every web server; how many answered. */
  keepConnections?: () => Promise<number>;
}

export interface AssembledNode {
  view: SiteView;
  nameserver?: Nameserver;
  ops: Ops;
  /** Resolves once the DNS listener (if any) answers. */
  ready: Promise<void>;
  /** The node file read again (SIGHUP): the operator keys and grants in force from now on. */
  setAuthority(operatorKeys: readonly string[], grants: NodeConfig["grants"]): void;
  /** Answers a control-socket request. */
  control(r: Request): Reply;
  /** Stops the roles in reverse order of their start; the bus is the caller's. */
  stop(): Promise<void>;
}

export function assembleNode(fileConfig: NodeConfig, parts: NodeParts): AssembledNode {
  const { bus, store, clock, timers, log } = parts;
  // The site in force: the node's own [site], or the newer signed document it saved.
  const docs = new SiteDocs(fileConfig, {
    store,
    clock,
    log: log.scope("site"),
    publish: (document) => view.publish({ type: "site", site: digest, document }),
  });
  const config = docs.running;
  const { site } = config;
  const digest = siteDigest(site, config.node.operatorKeys);
  const roles = rolesOf(config);
  let map = new LocationMap(config.locations.entries);
  const steering = new SteeringCounts(site.areas.map((a) => a.name));

  const beatMs = heartbeatEveryMs(roles, site.heartbeatIntervalMs, site.deadAfterMs);
  const view = new SiteView(
    {
      site,
      digest,
      nodeName: config.node.name,
      roles,
      priority: config.controller?.priority,
      mapVersion: map.version,
      operatorKeys: config.node.operatorKeys,
      grants: config.grants,
      ...(config.reporter?.register && { registration: config.reporter.register }),
      ...(beatMs > site.heartbeatIntervalMs && { quietPaceMs: beatMs }),
    },
    { bus, store, clock, timers, log: log.scope("membership"), ...(parts.release && { release: parts.release }), signer: parts.signer, sites: docs },
  );
  bus.onMessage((m) => view.handle(m.topic, m.data, m.from));
  log.info("node started", {
    node: config.node.name,
    peer: bus.self,
    roles: roles.join(","),
    site: site.zone,
    siteVersion: site.version,
    digest,
    map: map.version,
    listen: bus.listenAddresses().join(" "),
  });
  const stops: (() => unknown)[] = [timers.every(beatMs, () => view.heartbeat(true))];
  view.heartbeat();
  // A node on the slow pace also beats soon after a peer connects, so a newcomer learns its
  // grants and versions without waiting out the interval (once the peer has subscribed).
  if (beatMs > site.heartbeatIntervalMs) {
    let soon: (() => void)[] = [];
    bus.onPeer((e) => {
      if (!e.connected || soon.length) return;
      soon = NEW_PEER_BEATS_MS.map((ms, i) =>
        timers.after(ms, () => {
          if (i === NEW_PEER_BEATS_MS.length - 1) soon = [];
          view.heartbeat();
        }),
      );
    });
    stops.push(() => soon.forEach((cancel) => cancel()));
  }

  const records = config.nameserver && startUpdatedRecords({ digest, view, state: store, timers, log: log.scope("updates") });
  if (records) stops.push(records.stop);
  // With one area there is nothing to choose between: no probes.
  const ns = config.nameserver;
  const learning =
    ns && config.learn.enabled && site.areas.length > 1 && parts.learn
      ? parts.learn({
          cfg: config.learn,
          zone: site.zone,
          digest,
          area: ns.area,
          areas: site.areas.map((a) => a.name),
          steering,
          bus,
          clock,
          timers,
          log: log.scope("learn"),
          bindHost: ns.listen[0]?.host,
          isNameserver: (peer) => peer === bus.self || !!view.snapshot(clock()).members.get(peer)?.roles.includes("nameserver"),
        })
      : undefined;
  if (learning) stops.push(() => learning.stop());
  // The nameserver answers from the site in force with the servers that registered themselves:
  // the view's, taken again whenever it changes (a newer document, a registration come or gone).
  let answered = view.snapshot(clock()).site;
  const nameserver =
    ns &&
    startNameserver(
      { site: answered, digest, cfg: ns, location: { map: () => map, steering, learned: learning }, records },
      { view, store, clock, timers, log: log.scope("nameserver"), listen: parts.listen },
    );
  if (nameserver) {
    stops.push(() => nameserver.stop());
    stops.push(
      view.onChange(() => {
        const next = view.snapshot(clock()).site;
        if (next === answered) return;
        answered = next;
        nameserver.adoptSite(next);
      }),
    );
  }
  // The Director's failures are told through ops, which starts after it (it reports on it).
  let ops: Ops | undefined;
  let director: ReturnType<typeof startDirector> | undefined;
  // The controller takes a newer site document as it runs: its epoch, and its place as master, stay.
  const controller =
    config.controller &&
    startController(
      {
        site,
        digest,
        onDecision: (a) => {
          parts.onDecision?.(a);
          director?.assign(a);
        },
      },
      { view, clock, timers, log: log.scope("controller") },
    );
  if (controller) stops.push(() => controller.stop());
  if (config.reporter && !parts.collector) throw new Error("a reporter needs a collector");
  const reporter =
    config.reporter &&
    parts.collector &&
    startReporter({ site, digest, cfg: config.reporter }, { view, collector: parts.collector, clock, timers, log: log.scope("reporter") });
  if (reporter) stops.push(() => reporter.stop());
  // The Director reads the site as it starts: started again with each newer site document.
  const startSiteRoles = (cfg: NodeConfig): (() => unknown)[] => {
    const roleStops: (() => unknown)[] = [];
    director =
      cfg.director &&
      startDirector({
        site: cfg.site,
        cfg: cfg.director,
        isMaster: () => view.snapshot(clock()).master === view.self,
        onFailing: (backend, reason) => ops?.notify({ event: "director-failing", server: backend, reason }),
        clock,
        timers,
        log: log.scope("director"),
      });
    const d = director;
    if (d) roleStops.push(() => d.stop());
    return roleStops;
  };
  let siteRoles = startSiteRoles(config);
  stops.push(() => stopAll(siteRoles));
  docs.onAdopt((next) => {
    map = new LocationMap(next.locations.entries);
    // The view tells the nameserver (above), with the servers that registered themselves.
    view.adoptSite(next.site, map.version);
    controller?.adoptSite(next.site);
    if (next.reporter) reporter?.adoptSite(next.site, next.reporter);
    void stopAll(siteRoles).then(() => {
      siteRoles = startSiteRoles(next);
    });
  });
  const resync = resyncOf(config, parts, view);
  if (resync) stops.push(() => resync.stop());
  if (config.replicator && parts.keepConnections) stops.push(keepConnectionsOpen(parts.keepConnections, timers, log.scope("replicator")));
  const started = startOps(
    {
      config,
      running: () => docs.running,
      digest,
      nameserver,
      director,
      map: () => map,
      steering,
      learning,
      resync,
      history: topicsRead(roles).includes("reports"),
    },
    { view, bus, clock, timers, log },
  );
  ops = started;
  stops.push(() => started.stop());

  return {
    view,
    nameserver,
    ops: started,
    ready: nameserver?.ready ?? Promise.resolve(),
    setAuthority(keys, grants) {
      docs.trust(keys);
      view.setAuthority(keys, grants);
    },
    control(r) {
      if (r.op === "status") return { ok: true, status: started.status(r.history ? { historySinceMs: -Infinity } : {}) };
      if (r.op === "revoke") {
        const refused = view.revoke(r.revocation);
        return refused ? { ok: false, error: `revocation refused: ${refused}` } : { ok: true };
      }
      if (r.op === "site-show") return { ok: true, site: docs.show() };
      if (r.op === "site-push") {
        const refused = docs.offer(r.document, { publish: true });
        return refused ? { ok: false, error: `site document refused: ${refused}` } : { ok: true, site: docs.show() };
      }
      const servers = view.snapshot(clock()).site.servers; // a self-registered one drains too
      if (!servers.some((s) => s.name === r.server))
        return { ok: false, error: `unknown server "${r.server}"; the site has ${servers.map((s) => s.name).join(", ")}` };
      view.drain(serverName(r.server), r.drained, r.reason, config.node.name);
      return { ok: true };
    },
    stop: () => stopAll(stops),
  };
}

/** The roles a node announces in its heartbeats, from its config. */
export function rolesOf(config: NodeConfig): HeartbeatMsg["roles"] {
  return [config.reporter && "reporter", config.controller && "controller", config.nameserver && "nameserver"].filter(
    (r): r is "reporter" | "controller" | "nameserver" => !!r,
  );
}

/** Stopping is best effort: one part failing to close must not keep the others open. */
export async function stopAll(stops: readonly (() => unknown)[]): Promise<void> {
  for (const s of [...stops].reverse()) {
    try {
      await s();
    } catch {
      // already logged by the part, or nothing left to do
    }
  }
}

/**
 * Every KEEP_CONNECTIONS_MS (within ssh's ControlPersist of 300 s) the replicator's connections
 * are used once, so they stay open and a publish skips the handshakes; at start, at once.
 */
function keepConnectionsOpen(keep: () => Promise<number>, timers: Timers, log: Logger): () => void {
  let running = false;
  const turn = async () => {
    if (running) return;
    running = true;
    try {
      const answered = await keep();
      log.debug("connections kept", { answered });
    } catch (err) {
      log.warn("keeping the connections to the web servers failed", { error: String(err) });
    } finally {
      running = false;
    }
  };
  void turn();
  return timers.every(KEEP_CONNECTIONS_MS, () => void turn());
}
const KEEP_CONNECTIONS_MS = 120_000;

/** The replicator's resync: servers whose reports name another release are brought onto the current one. */
function resyncOf(config: NodeConfig, parts: NodeParts, view: SiteView): Resync | undefined {
  const { release, resync } = parts;
  if (!config.replicator || config.replicator.resyncMs <= 0 || !release || !resync) return undefined;
  return startResync({
    everyMs: config.replicator.resyncMs,
    timers: parts.timers,
    clock: parts.clock,
    log: parts.log.scope("replicator"),
    behind: () => {
      const snap = view.snapshot(parts.clock());
      const servers = snap.servers.map((v) => {
        const r = snap.reports.get(v.name);
        return { name: v.name, state: v.state, release: r?.report.release, receivedAtMs: r?.receivedAtMs };
      });
      return behindCurrent(servers, release());
    },
    resync,
  });
}
