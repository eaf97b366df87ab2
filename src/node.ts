// A deployed node: assembles the enabled roles on real parts (libp2p, the state directory, real
// timers, the real collector and DNS sockets), opens the control socket, and stops in reverse.
import { join } from "node:path";
import { assembleNode, rolesOf, stopAll, type AssembledNode } from "./assembly/assemble-node.ts";
import { readSecret } from "./config/load.ts";
import { reloadPlan, type Reload } from "./config/reload.ts";
import type { NodeConfig } from "./config/types.ts";
import { startControlServer } from "./control/server.ts";
import { SOCKET_FILE, type Request } from "./control/protocol.ts";
import { systemClock, type Clock } from "./core/clock.ts";
import type { Logger } from "./core/log.ts";
import { realTimers, type Timers } from "./core/timers.ts";
import { startDnsListener } from "./dns/listener.ts";
import { startLearning } from "./geo/learning.ts";
import { topicsRead } from "./net/bus.ts";
import { startLibp2pBus } from "./net/libp2p-bus.ts";
import { peerSigner } from "./net/peer-keys.ts";
import { siteReleaseOf } from "./replicate/history.ts";
import { keepConnections, releaseHistory, resync } from "./replicate/publish.ts";
import { configuredCollector } from "./report/configured-collector.ts";
import type { SiteView } from "./roles/site-view.ts";
import { loadOrCreateIdentity } from "./state/identity.ts";
import { StateDir } from "./state/store.ts";

export interface RunningNode {
  view: SiteView;
  /** The node file read again (SIGHUP): what was applied, and what needs a restart. */
  reload(next: NodeConfig): Reload;
  stop(): Promise<void>;
}

export async function startNode(config: NodeConfig, log: Logger, clock: Clock = systemClock, timers: Timers = realTimers): Promise<RunningNode> {
  const { site } = config;
  const store = new StateDir(config.node.stateDir);
  const secret = readSecret(site.secretFile);
  if (!secret.ok) throw new Error(secret.error);
  const identityKey = loadOrCreateIdentity(store);

  // The bus starts before the node is assembled: until then its validator rejects, so no early
  // message finds nobody to take it.
  let node: AssembledNode | undefined;
  const bus = await startLibp2pBus({
    identityKey,
    siteSecret: secret.secret,
    listen: config.node.listen,
    bootstrap: config.node.bootstrap,
    reads: topicsRead(rolesOf(config)),
    accept: (topic, data, from) => node?.view.accept(topic, data, from) ?? "ignore",
    onError: (what, err) => log.scope("gossip").warn(what, { error: String(err) }),
    onUnreachable: (address, err) => log.scope("gossip").info("peer unreachable", { address, error: String(err) }),
  });
  const stops: (() => unknown)[] = [() => bus.stop()];
  const replicator = config.replicator;
  try {
    const assembled = assembleNode(config, {
      bus,
      store,
      clock,
      timers,
      log,
      collector: config.reporter && configuredCollector(config.reporter),
      listen: startDnsListener,
      signer: peerSigner(identityKey),
      learn: startLearning,
      ...(replicator && {
        release: () => siteReleaseOf(releaseHistory(config.node.stateDir)),
        resync: (servers) => resync({ cfg: replicator, stateDir: config.node.stateDir, clock, say: (line) => log.scope("replicator").info(line) }, servers),
        keepConnections: () => keepConnections(replicator, config.node.stateDir),
      }),
    });
    node = assembled;
    stops.push(() => assembled.stop());
    await assembled.ready;
    // A status shows what the DNS workers answered up to the request, not their last report.
    const handle = (r: Request) => (r.op === "status" ? assembled.ops.fresh().then(() => assembled.control(r)) : assembled.control(r));
    const control = await startControlServer(join(config.node.stateDir, SOCKET_FILE), handle, log.scope("control"));
    stops.push(() => control.close());
  } catch (err) {
    await stopAll(stops);
    throw err;
  }
  const assembled = node;
  let started = config;
  return {
    view: assembled.view,
    reload(next) {
      const plan = reloadPlan(started, next);
      if (!plan.applied.length) return plan;
      const operatorKeys = plan.applied.includes("node.operator_keys") ? next.node.operatorKeys : started.node.operatorKeys;
      assembled.setAuthority(operatorKeys, next.grants);
      started = { ...started, grants: next.grants, node: { ...started.node, operatorKeys } };
      return plan;
    },
    stop: () => stopAll(stops),
  };
}
