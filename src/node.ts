// Builds the enabled roles of one node, starts them in order and stops them in reverse.
import { join } from "node:path";
import { readSecret } from "./config/load.ts";
import { siteDigest } from "./config/digest.ts";
import type { NodeConfig } from "./config/types.ts";
import { startControlServer } from "./control/server.ts";
import { SOCKET_FILE, type Reply, type Request } from "./control/protocol.ts";
import { buildStatus } from "./ops/status.ts";
import { systemClock, type Clock } from "./core/clock.ts";
import type { Logger } from "./core/log.ts";
import { realTimers, type Timers } from "./core/timers.ts";
import { serverName } from "./core/types.ts";
import { LocationMap } from "./geo/location-map.ts";
import { SteeringCounts } from "./geo/steering-counts.ts";
import { startLibp2pBus } from "./net/libp2p-bus.ts";
import { startOps } from "./ops/start-ops.ts";
import { startController, type Controller } from "./roles/controller.ts";
import { startNameserver, type Nameserver } from "./roles/nameserver.ts";
import { createNotifier } from "./ops/notifier.ts";
import { startReporter, type Reporter } from "./roles/reporter.ts";
import { SiteView } from "./roles/site-view.ts";
import { loadOrCreateIdentity } from "./state/identity.ts";
import { StateDir } from "./state/store.ts";

export interface RunningNode {
  view: SiteView;
  stop(): Promise<void>;
}

export async function startNode(config: NodeConfig, log: Logger, clock: Clock = systemClock, timers: Timers = realTimers): Promise<RunningNode> {
  const { site } = config;
  const digest = siteDigest(site);
  const state = new StateDir(config.node.stateDir);
  const secret = readSecret(site.secretFile);
  if (!secret.ok) throw new Error(secret.error);
  const identityKey = await loadOrCreateIdentity(state);
  const roles = [config.reporter && "reporter", config.controller && "controller", config.nameserver && "nameserver"].filter((r): r is "reporter" | "controller" | "nameserver" => !!r);
  const map = new LocationMap(config.locations.entries);
  const steering = new SteeringCounts(site.areas.map((a) => a.name));

  // The view exists before the bus so that no early message finds nobody to take it.
  let view: SiteView | undefined;
  const bus = await startLibp2pBus({
    identityKey,
    siteSecret: secret.secret,
    listen: config.node.listen,
    bootstrap: config.node.bootstrap,
    accept: (topic, data) => view?.accept(topic, data) ?? false,
    onError: (what, err) => log.scope("gossip").warn(what, { error: String(err) }),
  });
  const siteView = new SiteView({ site, digest, nodeName: config.node.name, roles, priority: config.controller?.priority, mapVersion: map.version, bus, state, clock, log: log.scope("membership") });
  view = siteView;
  bus.onMessage((m) => siteView.handle(m.topic, m.data, m.from));
  log.info("node started", { node: config.node.name, peer: bus.self, roles: roles.join(","), site: site.zone, digest, map: map.version, listen: bus.listenAddresses().join(" ") });

  const stopHeartbeats = timers.every(site.heartbeatIntervalMs, () => siteView.heartbeat());
  siteView.heartbeat();

  const notifier = createNotifier(config.notify, { zone: site.zone, node: config.node.name }, log.scope("notify"), clock);
  let nameserver: Nameserver | undefined;
  let controller: Controller | undefined;
  let reporter: Reporter | undefined;
  const stops: (() => unknown)[] = [() => bus.stop(), stopHeartbeats];
  try {
    if (config.nameserver) {
      nameserver = await startNameserver({ site, digest, cfg: config.nameserver, view: siteView, state, clock, timers, log: log.scope("nameserver"), location: { map, steering } });
      stops.push(() => nameserver?.stop());
    }
    if (config.controller) {
      controller = startController({ site, digest, view: siteView, clock, timers, log: log.scope("controller") });
      stops.push(() => controller?.stop());
    }
    if (config.reporter) {
      reporter = startReporter({ site, digest, cfg: config.reporter, view: siteView, clock, log: log.scope("reporter") });
      stops.push(() => reporter?.stop());
    }
    const ops = startOps({ config, view: siteView, dns: nameserver?.stats, notifier, clock, timers, log: log.scope("ops"), status: (decisions) => buildStatus({ config, digest, view: siteView, nameserver, bus, clock, decisions, locations: { map, steering: nameserver && steering } }) });
    stops.push(() => ops.stop());
    const handle = (r: Request): Reply => {
      if (r.op === "status") return { ok: true, status: ops.status() };
      if (!site.servers.some((s) => s.name === r.server)) return { ok: false, error: `unknown server "${r.server}"; the site has ${site.servers.map((s) => s.name).join(", ")}` };
      siteView.drain(serverName(r.server), r.drained, r.reason, config.node.name);
      return { ok: true };
    };
    const control = await startControlServer(join(config.node.stateDir, SOCKET_FILE), handle, log.scope("control"));
    stops.push(() => control.close());
  } catch (err) {
    await stopAll(stops);
    throw err;
  }

  return {
    view: siteView,
    stop: () => stopAll(stops),
  };
}

async function stopAll(stops: (() => unknown)[]): Promise<void> {
  for (const s of [...stops].reverse()) {
    try {
      await s();
    } catch {
      // stopping is best effort: one part failing to close must not keep the others open
    }
  }
}
