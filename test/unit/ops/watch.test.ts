// The watch on the simulator's manual clock and in-memory network, in nodes assembled as deployed
// ones are (real reporters on simulated collections): which notices the master sends, exactly
// when, and the decision log every node keeps.
import { expect, test } from "bun:test";
import { parse } from "smol-toml";
import { assembleNode, type AssembledNode } from "../../../src/assembly/assemble-node.ts";
import type { SiteRelease } from "../../../src/core/types.ts";
import { validate } from "../../../src/config/validate.ts";
import { createLogger } from "../../../src/core/log.ts";
import { areaName, type Report, type Site } from "../../../src/core/types.ts";
import type { Notice } from "../../../src/ops/notify-policy.ts";
import type { Collection } from "../../../src/report/collect.ts";
import { MemoryNetwork } from "../../../src/sim/network.ts";
import { seededRandom } from "../../../src/sim/prng.ts";
import { Scheduler } from "../../../src/sim/scheduler.ts";
import { simNodeConfig, type SimNodeRoles } from "../../../src/sim/sim-node-config.ts";
import { simulatedCollection } from "../../../src/sim/simulated-collection.ts";
import { MemoryStore } from "../../../src/state/store.ts";

const DEAD_FOR_MS = 10_000;
const STALE_FOR_MS = 20_000;

function siteConfig(): Site {
  const toml = `
[node]
name = "x"
state_dir = "/tmp/x"
listen = ["/ip4/127.0.0.1/tcp/1"]
[controller]
[site]
zone = "demo.test"
names = ["www"]
secret_file = "s"
[site.areas.east]
nameserver_addresses = ["127.0.0.1"]
[site.areas.west]
nameserver_addresses = ["127.0.0.1"]
[site.servers.web-east-1]
area = "east"
addresses = ["127.0.8.11"]
[site.servers.web-east-2]
area = "east"
addresses = ["127.0.8.12"]
[site.servers.web-west-1]
area = "west"
addresses = ["127.0.8.21"]
`;
  const r = validate(parse(toml) as Record<string, unknown>, "test.toml", "/tmp");
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config.site;
}

interface Sent extends Omit<Notice, "atMs"> {
  by: string;
  atMs: number;
}

/** repeatAfterMs 0 turns the notifier's own dedup off, leaving the watch's episodes alone. */
function startSite(repeatAfterMs = 600_000) {
  const site = siteConfig();
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(1));
  const sent: Sent[] = [];
  const up = new Map<string, boolean>();
  const nodes = new Map<string, AssembledNode>();
  const reports = new Map(
    site.servers.map((s) => [s.name as string, { status: "ok" as Report["status"], publishing: true, release: undefined as string | undefined }]),
  );
  // What the replicator (on east) announces.
  const replicator: { release?: SiteRelease } = {};

  const boot = (roles: SimNodeRoles) => {
    const name = roles.name;
    up.set(name, true);
    const alive = () => up.get(name) === true;
    // The real notifier (gate included) with no webhook: what it sends shows in its log.
    const log = createLogger({
      json: true,
      level: "info",
      now: sched.clock,
      write: (line) => {
        const r = JSON.parse(line) as Record<string, string | undefined>;
        if (alive() && r.msg === "notice for a human")
          sent.push({
            event: r.event as Notice["event"],
            server: r.server,
            cluster: r.cluster,
            area: r.area,
            reason: r.reason ?? "",
            by: name,
            atMs: sched.nowMs,
          });
      },
    });
    const config = {
      ...simNodeConfig(site, roles),
      notify: { webhooks: [], deadForMs: DEAD_FOR_MS, staleForMs: STALE_FOR_MS, repeatAfterMs, maxPerMinute: 1000, attempts: 1 },
    };
    // A reporter that stops publishing is one whose collection never finishes.
    const collect = (): Collection | Promise<Collection> => {
      const r = reports.get(name.replace("rep-", "")) as { status: Report["status"]; publishing: boolean; release?: string };
      if (!r.publishing) return new Promise(() => {});
      const col = simulatedCollection(
        r.status === "ok" ? { state: "up", stats: { hits: sched.nowMs, busyWorkers: 2, maxWorkers: 16 } } : { state: "down", error: "connection refused" },
        site.reportIntervalMs,
      );
      return r.release === undefined ? col : { ...col, release: r.release };
    };
    const release = name === "east" ? { release: () => replicator.release } : {};
    nodes.set(
      name,
      assembleNode(config, {
        bus: net.attach(name),
        store: new MemoryStore(),
        clock: sched.clock,
        timers: sched.timers(alive),
        log,
        collector: { collect },
        ...release,
      }),
    );
  };
  boot({ name: "east", area: areaName("east"), priority: 10 });
  boot({ name: "west", area: areaName("west"), priority: 20 });
  for (const s of site.servers) boot({ name: `rep-${s.name}`, server: s.name });
  const crash = (name: string) => {
    up.set(name, false);
    net.crash(name);
  };
  const decisions = (name: string) => nodes.get(name)?.ops.status().decisions ?? [];
  return { site, sched, sent, reports, replicator, nodes, decisions, crash, run: (ms: number) => sched.runUntil(sched.nowMs + ms) };
}

test("the master announces itself once; a panic and the forced area are told once however many rounds see them", () => {
  const s = startSite();
  s.run(30_000);
  expect(s.sent.map((n) => `${n.by}: ${n.event} ${n.reason}`)).toEqual(["east: master-change east is master now (was none)"]);

  (s.reports.get("web-west-1") as { status: Report["status"] }).status = "panic";
  s.run(30_000);
  // The watch alone sends notices: the panic goes out once.
  expect(
    s.sent
      .slice(1)
      .map((n) => `${n.by}: ${n.event} ${n.server ?? n.area}→${n.cluster}`)
      .sort(),
  ).toEqual(["east: forced west→east", "east: panic web-west-1→west"]);

  // The watch itself offers each episode once, even with the notifier's dedup off.
  const raw = startSite(0);
  raw.run(30_000);
  (raw.reports.get("web-west-1") as { status: Report["status"] }).status = "panic";
  raw.run(30_000);
  expect(raw.sent.filter((n) => n.event === "panic")).toHaveLength(1);
  expect(raw.sent.filter((n) => n.event === "forced")).toHaveLength(1);
  expect(raw.sent.filter((n) => n.event === "master-change")).toHaveLength(1);

  // Every node logged the move with its reason; the newest decision comes first.
  const west = s.decisions("west");
  expect(west.find((d) => d.area === "west" && d.from === "west")).toMatchObject({ to: "east", reason: "availability" });
});

test("a server silent for dead_after_ms is dead; dead_for_ms later the master says so, once", () => {
  const s = startSite(0);
  s.run(30_000);
  const lastReportMs = s.sched.nowMs;
  (s.reports.get("web-east-1") as { publishing: boolean }).publishing = false;
  s.run(60_000);
  const dead = s.sent.filter((n) => n.event === "dead");
  expect(dead.map((n) => `${n.by}: ${n.server}`)).toEqual(["east: web-east-1"]);
  const declared = (dead[0] as Sent).atMs - lastReportMs;
  // declared dead after dead_after_ms (+ one report interval of slack), told dead_for_ms later (+ one check)
  expect(declared).toBeGreaterThanOrEqual(s.site.deadAfterMs + DEAD_FOR_MS);
  expect(declared).toBeLessThanOrEqual(s.site.deadAfterMs + DEAD_FOR_MS + s.site.reportIntervalMs + 1000);
  expect(dead[0]?.reason).toMatch(/^dead for 1\d s \(/);
});

test("when the master dies the next candidate announces itself, and only it notifies from then on", () => {
  const s = startSite();
  s.run(30_000);
  s.crash("east");
  s.run(30_000);
  expect(s.sent.map((n) => `${n.by}: ${n.event} ${n.reason}`)).toEqual([
    "east: master-change east is master now (was none)",
    "west: master-change west is master now (was east)",
  ]);
  (s.reports.get("web-east-1") as { status: Report["status"] }).status = "panic";
  s.run(10_000);
  expect(s.sent.slice(2).every((n) => n.by === "west")).toBe(true);
  expect(s.sent.slice(2).map((n) => n.event)).toContain("panic");
});

test("a server left on the old release is answered through the grace, then left out while a fresh one serves; stale_for_ms later the master says so, once", () => {
  const s = startSite(0);
  const release = (server: string, id: string) => ((s.reports.get(server) as { release?: string }).release = id);
  s.replicator.release = { id: "r1", sinceMs: 0 };
  for (const server of ["web-east-1", "web-east-2", "web-west-1"]) release(server, "r1");
  s.run(30_000);
  const east = () => (s.nodes.get("east") as AssembledNode).view.snapshot(s.sched.nowMs);
  const answer = () =>
    east()
      .followed?.assignment.areas.find((a) => a.area === "east")
      ?.servers.join(" ");
  expect(answer()).toBe("web-east-1 web-east-2");

  // Publish r2: web-east-1 misses it.
  const publishedMs = s.sched.nowMs;
  s.replicator.release = { id: "r2", previous: "r1", sinceMs: publishedMs };
  release("web-east-2", "r2");
  release("web-west-1", "r2");
  s.run(s.site.contentGraceMs - 2000);
  expect(answer()).toBe("web-east-1 web-east-2");
  s.run(4000);
  expect(answer()).toBe("web-east-2");
  const v = east().servers.find((x) => x.name === "web-east-1");
  expect(v?.state).toBe("up");
  expect(v?.reason).toMatch(/^stale: release r1, current r2 since 3\d s$/);

  // The only fresh server of the area panics: the stale one beats none.
  (s.reports.get("web-east-2") as { status: Report["status"] }).status = "panic";
  s.run(5000);
  expect(answer()).toBe("web-east-1");
  (s.reports.get("web-east-2") as { status: Report["status"] }).status = "ok";

  s.run(STALE_FOR_MS + 5000);
  const stale = s.sent.filter((n) => n.event === "stale");
  expect(stale.map((n) => `${n.by}: ${n.server}`)).toEqual(["east: web-east-1"]);
  expect((stale[0] as Sent).atMs - publishedMs).toBeGreaterThanOrEqual(s.site.contentGraceMs + STALE_FOR_MS);

  // It catches up: answered again.
  release("web-east-1", "r2");
  s.run(10_000);
  expect(answer()).toBe("web-east-1 web-east-2");
});
