// A controller started again on a newer site document (assemble-node.ts) stops the old one: the
// old one must not come back when the view changes later, or two controllers on one node take
// over side by side, each with an epoch of its own (seen on the lab: epochs 1, 2, 3 within 50 ms
// after two pushes). On the simulator's clock, with the node's real site view.
import { expect, test } from "bun:test";
import { assembleNode } from "../../src/assembly/assemble-node.ts";
import { siteDigest } from "../../src/config/digest.ts";
import type { Logger } from "../../src/core/log.ts";
import { areaName, serverName, type Assignment } from "../../src/core/types.ts";
import { startController } from "../../src/roles/controller.ts";
import { MemoryNetwork } from "../../src/sim/network.ts";
import { seededRandom } from "../../src/sim/prng.ts";
import { Scheduler } from "../../src/sim/scheduler.ts";
import { simNodeConfig } from "../../src/sim/sim-node-config.ts";
import { simulatedCollection } from "../../src/sim/simulated-collection.ts";
import { MemoryStore } from "../../src/state/store.ts";
import { simSite } from "./site-fixture.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, scope: () => silent };

test("a stopped controller neither takes over nor publishes when the view changes after its stop", () => {
  const site = simSite({ east: 1 });
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(1));
  const parts = (name: string) => ({ bus: net.attach(name), store: new MemoryStore(), clock: sched.clock, timers: sched.timers(), log: silent });
  const own: Assignment[] = [];
  const east = assembleNode(simNodeConfig(site, { name: "east", area: areaName("east"), priority: 10 }), { ...parts("east"), onDecision: (a) => own.push(a) });
  const stale: Assignment[] = [];
  const old = startController(
    { site, digest: siteDigest(site, []), onDecision: (a) => stale.push(a) },
    { view: east.view, clock: sched.clock, timers: sched.timers(), log: silent },
  );
  old.stop();
  // A member joins later: the view changes, and every listener still subscribed hears of it.
  sched.timers().after(1500, () => {
    assembleNode(simNodeConfig(site, { name: "r1", server: serverName("east-1") }), {
      ...parts("r1"),
      collector: { collect: () => simulatedCollection({ state: "up" }, site.reportIntervalMs) },
    });
  });
  sched.runUntil(10_000);
  expect(own.length).toBeGreaterThan(0);
  expect(stale).toEqual([]);
  expect(new Set(own.map((a) => a.epoch)).size).toBe(1);
});
