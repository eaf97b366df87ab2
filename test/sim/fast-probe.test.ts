// The reporter's fast re-probe, on the simulator's clock with a node assembled as a deployed one
// is: after a failed probe the next comes fast_probe_ms later, so PANIC follows within about
// one probe interval of a death; a lone failure is cleared just as fast and never reaches PANIC.
import { expect, test } from "bun:test";
import { assembleNode } from "../../src/assembly/assemble-node.ts";
import type { Logger } from "../../src/core/log.ts";
import { serverName } from "../../src/core/types.ts";
import type { WebReading } from "../../src/report/web-source.ts";
import { MemoryNetwork } from "../../src/sim/network.ts";
import { seededRandom } from "../../src/sim/prng.ts";
import { Scheduler } from "../../src/sim/scheduler.ts";
import { simNodeConfig } from "../../src/sim/sim-node-config.ts";
import { simulatedCollection } from "../../src/sim/simulated-collection.ts";
import { MemoryStore } from "../../src/state/store.ts";
import { simSite } from "./site-fixture.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, scope: () => silent };
const UP: WebReading = { state: "up" };
const DOWN: WebReading = { state: "down", error: "connection refused" };

/** Runs one reporter whose web server answers as `webAt(t)` says; returns each sent report's time and status. */
function reports(webAt: (t: number) => WebReading, untilMs: number): [number, string][] {
  const site = simSite({ east: 1 });
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(1));
  const config = simNodeConfig(site, { name: "r1", server: serverName("east-1") });
  if (!config.reporter) throw new Error("no [reporter]");
  config.reporter = { ...config.reporter, fallCount: 2, riseCount: 2, fastProbeMs: 100 };
  const seen: [number, string][] = [];
  const node = assembleNode(config, {
    bus: net.attach("r1"),
    store: new MemoryStore(),
    clock: sched.clock,
    timers: sched.timers(),
    log: silent,
    collector: { collect: (now) => simulatedCollection(webAt(now), site.reportIntervalMs) },
  });
  node.view.onReport((server) => {
    const r = node.view.snapshot(sched.nowMs).reports.get(server);
    if (r) seen.push([sched.nowMs, r.report.status]);
  });
  sched.runUntil(untilMs);
  return seen;
}

test("a dead web server: TEMPFAIL at the next probe, PANIC fast_probe_ms later", () => {
  const got = reports((t) => (t < 2500 ? UP : DOWN), 4500).filter(([t]) => t >= 2000);
  expect(got).toEqual([
    [2000, "ok"],
    [3000, "tempfail"],
    [3100, "panic"],
  ]);
});

test("one failed probe: cleared by the fast probe, no PANIC, and back to the normal interval", () => {
  const got = reports((t) => (t === 3000 ? DOWN : UP), 5500).filter(([t]) => t >= 2000);
  expect(got).toEqual([
    [2000, "ok"],
    [3000, "tempfail"],
    [3100, "ok"],
    // Unchanged reports are not sent (report/send-rule.ts): the next is the refresh, on the
    // normal interval again.
    [5000, "ok"],
  ]);
});
