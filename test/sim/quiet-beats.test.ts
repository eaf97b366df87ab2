// A node that only reports sends a heartbeat only when it has news (membership/quiet-beat.ts):
// its reports keep it heard. Nodes assembled as deployed over the simulator's network and clock:
// the reporter stays live in the area node's view all along, a silent one is judged dead as
// before, and an area node that starts later knows it at once.
import { describe, expect, test } from "bun:test";
import { assembleNode, type AssembledNode } from "../../src/assembly/assemble-node.ts";
import type { Logger } from "../../src/core/log.ts";
import { areaName, serverName, type PeerIdText } from "../../src/core/types.ts";
import { encode } from "../../src/net/messages.ts";
import { siteDigest } from "../../src/config/digest.ts";
import type { Bus } from "../../src/net/bus.ts";
import { MemoryNetwork } from "../../src/sim/network.ts";
import { seededRandom } from "../../src/sim/prng.ts";
import { Scheduler } from "../../src/sim/scheduler.ts";
import { simNodeConfig } from "../../src/sim/sim-node-config.ts";
import { simulatedCollection } from "../../src/sim/simulated-collection.ts";
import { MemoryStore } from "../../src/state/store.ts";
import { simSite } from "./site-fixture.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, scope: () => silent };
const site = simSite({ east: 1 });

function harness() {
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(7));
  /** Heartbeats each node published; `mute` swallows all it sends (a frozen process keeps its connections). */
  const beats = new Map<string, number>();
  const muted = new Set<string>();
  const raw = new Map<string, Bus>();
  const attach = (name: string): Bus => {
    const bus = net.attach(name);
    raw.set(name, bus);
    return {
      ...bus,
      publish: (topic, data) => {
        if (muted.has(name)) return;
        if (topic === "heartbeats") beats.set(name, (beats.get(name) ?? 0) + 1);
        bus.publish(topic, data);
      },
    };
  };
  const start = (name: string, roles: Parameters<typeof simNodeConfig>[1]) => {
    const node = assembleNode(simNodeConfig(site, roles), {
      bus: attach(name),
      store: new MemoryStore(),
      clock: sched.clock,
      timers: sched.timers(),
      log: silent,
      ...("server" in roles && { collector: { collect: () => simulatedCollection({ state: "up" }, 1000) } }),
    });
    return node;
  };
  const area = () => start("east", { name: "east", area: areaName("east"), priority: 1 });
  const reporter = () => start("web", { name: "web", server: serverName("east-1") });
  /** Whether `of` is a live member in the view of `at`. */
  const live = (at: AssembledNode, of: string) => {
    const s = at.view.snapshot(sched.nowMs);
    const m = [...s.members.values()].find((x) => x.node === of);
    return m !== undefined && s.isLive(m.peer as PeerIdText);
  };
  /** A report of east-1 signed by the reporter's own peer (its process muted), stamped `ageMs` ago. */
  let seq = 1_000;
  const forgedReport = (ageMs: number) => {
    const report = { server: serverName("east-1"), seq: ++seq, atMs: sched.nowMs - ageMs, status: "ok" as const };
    raw.get("web")!.publish("reports", encode({ type: "report", site: siteDigest(site, []), report }));
  };
  return { sched, beats, muted, area, reporter, live, forgedReport };
}

describe("a reporter's heartbeats (issue 15)", () => {
  test("its reports keep it live in the area node's view while it sends a heartbeat about every half minute, not every 1.7 s", () => {
    const h = harness();
    const east = h.area();
    h.reporter();
    h.sched.runUntil(5_000);
    const before = h.beats.get("web") ?? 0;
    for (let t = 5_000; t <= 65_000; t += 100) {
      h.sched.runUntil(t);
      expect(h.live(east, "web")).toBe(true);
    }
    const sent = (h.beats.get("web") ?? 0) - before;
    // One a pace (dead_after_ms / 3 = 1.67 s) would be 36 in the minute: a calm reporter's reports
    // go out at least that often, so only every REFRESH_BEATS-th tick (33 s) beats.
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(3);
    // The area node keeps the site's pace: it is judged by candidates' rules.
    expect(h.beats.get("east")).toBeGreaterThanOrEqual(120);
  });

  test("a reporter gone silent (frozen, its connection open) is judged dead within dead_after_ms, as before", () => {
    const h = harness();
    const east = h.area();
    h.reporter();
    h.sched.runUntil(20_000);
    expect(h.live(east, "web")).toBe(true);
    h.muted.add("web");
    h.sched.runUntil(20_000 + site.deadAfterMs - 2_000);
    expect(h.live(east, "web")).toBe(true);
    h.sched.runUntil(20_000 + site.deadAfterMs + 100);
    expect(h.live(east, "web")).toBe(false);
  });

  test("only a report stamped within dead_after_ms of now counts: a replayed old one keeps no one alive", () => {
    for (const [ageMs, alive] of [
      [0, true],
      [site.deadAfterMs + 1_000, false],
    ] as const) {
      const h = harness();
      const east = h.area();
      h.reporter();
      h.sched.runUntil(20_000);
      h.muted.add("web");
      for (let t = 20_000; t <= 40_000; t += 1_000) {
        h.forgedReport(ageMs);
        h.sched.runUntil(t);
      }
      expect(h.live(east, "web")).toBe(alive);
    }
  });

  test("an area node started after the reporter knows it within a second (a heartbeat follows a new peer)", () => {
    const h = harness();
    h.reporter();
    h.sched.runUntil(30_000);
    const east = h.area();
    h.sched.runUntil(31_000);
    expect(h.live(east, "web")).toBe(true);
  });
});
