// Nodes assembled as deployed (assemble-node.ts) from node files on disk, with grants, over the
// simulator's network and clock: a pushed site document is taken by the running controller (same
// epoch, no new master); a server registers itself where its area allows it, is answered once it
// reports, and leaves when its grant is revoked.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "smol-toml";
import { signGrant } from "../../src/authority/grant.ts";
import { newOperatorKey, operatorSigner } from "../../src/authority/operator-key.ts";
import { signRevocation } from "../../src/authority/revocation.ts";
import { signSiteDocument } from "../../src/authority/site-document.ts";
import { assembleNode, type AssembledNode } from "../../src/assembly/assemble-node.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Logger } from "../../src/core/log.ts";
import { areaName, peerIdText, serverName, type Assignment, type GrantedRoles } from "../../src/core/types.ts";
import { MemoryNetwork } from "../../src/sim/network.ts";
import { seededRandom } from "../../src/sim/prng.ts";
import { Scheduler } from "../../src/sim/scheduler.ts";
import { simulatedCollection } from "../../src/sim/simulated-collection.ts";
import { MemoryStore } from "../../src/state/store.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, scope: () => silent };
const op = operatorSigner(newOperatorKey().privateKeyPem);
const dir = mkdtempSync(join(tmpdir(), "walrus-site-live-"));
writeFileSync(join(dir, "site.secret"), "0123456789abcdef0123456789abcdef\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The [site] table: east with one listed server; `selfRegister`: east takes servers that register themselves. */
const siteTable = (o: { selfRegister?: boolean; servers?: string[]; records?: { name: string; type: string; data: string }[] } = {}) => ({
  zone: "example.test",
  names: ["www"],
  areas: { east: { nameserver_addresses: ["192.0.2.53"], ...(o.selfRegister && { self_register: true }) } },
  servers: Object.fromEntries((o.servers ?? ["web-east-1"]).map((s, i) => [s, { area: "east", addresses: [`192.0.2.${i + 1}`] }])),
  ...(o.records && { records: o.records }),
});

function nodeFile(name: string, roles: Record<string, unknown>, site: Record<string, unknown>): string {
  const file = join(dir, `${name}.toml`);
  const node = { name, state_dir: join(dir, name), listen: ["/ip4/127.0.0.1/tcp/1"], operator_keys: [op.publicKey] };
  writeFileSync(file, stringify({ node, ...roles, site: { ...site, secret_file: "site.secret" } }));
  return file;
}

function simSite(seed: number) {
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(seed));
  const start = (name: string, roles: Record<string, unknown>, granted: GrantedRoles, site: Record<string, unknown>, onDecision?: (a: Assignment) => void) => {
    const loaded = loadConfig(nodeFile(name, roles, site));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const config = loaded.config;
    config.grants = [signGrant({ id: `g-${name}`, peer: peerIdText(`peer-${name}`), node: name, roles: granted, issuedAtMs: 0, expiresAtMs: 86_400_000 }, op)];
    const bus = net.attach(name);
    return assembleNode(config, {
      bus,
      store: new MemoryStore(),
      clock: sched.clock,
      timers: sched.timers(),
      log: silent,
      ...(config.reporter && { collector: { collect: () => simulatedCollection({ state: "up" }, 1000) } }),
      ...(onDecision && { onDecision }),
    });
  };
  return { sched, net, start };
}

/** Runs the simulator to `untilMs` a round at a time, letting promises settle between (a role
 * stopped or started asynchronously on a newer document does so as it would in a process). */
async function runUntil(sched: Scheduler, untilMs: number, stepMs = 100): Promise<void> {
  while (sched.nowMs < untilMs) {
    sched.runUntil(Math.min(untilMs, sched.nowMs + stepMs));
    await new Promise((r) => setImmediate(r));
  }
}

const AREA_NODE = { controller: { priority: 10 }, nameserver: { area: "east", listen: ["127.0.0.1:53"] } };
const AREA_GRANT: GrantedRoles = { controller: { priority: 10 }, nameserver: { areas: [areaName("east")] }, drain: true };
const reporterOf = (server: string, extra: Record<string, unknown> = {}) => ({
  reporter: { server, source: "tcp", address: "127.0.0.1:1", ...extra },
});
const reporterGrant = (server: string): GrantedRoles => ({ reporter: { servers: [serverName(server)] } });
const answered = (n: AssembledNode) => n.nameserver?.served().assignment?.areas.find((a) => a.area === "east")?.servers ?? [];
const status = (n: AssembledNode) => {
  const r = n.control({ op: "status" });
  if (!r.ok || !r.status) throw new Error("no status");
  return r.status;
};

describe("a site changed while it runs (simulated, nodes assembled as deployed)", () => {
  test("a push that adds a server and a record is taken by the running controller: the same epoch before and after", async () => {
    const { sched, start } = simSite(1);
    const decisions: Assignment[] = [];
    const east = start("east", AREA_NODE, AREA_GRANT, siteTable(), (a) => decisions.push(a));
    start("web-east-1", reporterOf("web-east-1"), reporterGrant("web-east-1"), siteTable());
    await runUntil(sched, 10_000);
    expect(answered(east)).toEqual([serverName("web-east-1")]);
    const before = decisions.at(-1) as Assignment;
    const doc = signSiteDocument(
      { version: 1, site: { ...siteTable({ servers: ["web-east-1", "web-east-2"], records: [{ name: "mail", type: "A", data: "192.0.2.25" }] }), version: 1 } },
      op,
    );
    const pushed = east.control({ op: "site-push", document: doc });
    expect(pushed.ok).toBe(true);
    const pushedAt = decisions.length;
    await runUntil(sched, 20_000);
    expect(status(east).site.version).toBe(1);
    expect(status(east).servers.map((s) => s.name)).toEqual(["web-east-1", "web-east-2"]);
    expect(decisions.length).toBeGreaterThan(pushedAt);
    // One master, one epoch: before, the controller started again on each document and claimed a new one.
    expect(new Set(decisions.map((a) => a.epoch))).toEqual(new Set([before.epoch]));
    expect(decisions.at(-1)?.seq).toBeGreaterThan(before.seq);
  });

  test("a server registers itself where its area allows it: answered once it reports, shown as such, gone when its grant is revoked", async () => {
    const { sched, start } = simSite(2);
    const east = start("east", AREA_NODE, AREA_GRANT, siteTable({ selfRegister: true }));
    start("web-east-1", reporterOf("web-east-1"), reporterGrant("web-east-1"), siteTable({ selfRegister: true }));
    const own = { register_area: "east", register_addresses: ["192.0.2.9"] };
    const newcomer = start("web-east-9", reporterOf("web-east-9", own), reporterGrant("web-east-9"), siteTable({ selfRegister: true }));
    await runUntil(sched, 10_000);
    expect(answered(east)).toEqual([serverName("web-east-1"), serverName("web-east-9")]);
    const row = status(east).servers.find((s) => s.name === "web-east-9");
    expect(row).toMatchObject({ cluster: "east", state: "up", selfRegistered: true });
    expect(status(east).servers.find((s) => s.name === "web-east-1")?.selfRegistered).toBe(false);
    expect(status(newcomer).servers.find((s) => s.name === "web-east-9")?.selfRegistered).toBe(true); // its own view too

    const revocation = signRevocation({ grant: "g-web-east-9", reason: "host retired", atMs: sched.nowMs }, op);
    expect(east.control({ op: "revoke", revocation }).ok).toBe(true);
    await runUntil(sched, 15_000);
    expect(answered(east)).toEqual([serverName("web-east-1")]);
    expect(status(east).servers.map((s) => s.name)).toEqual(["web-east-1"]);
    // What it still announces and reports is refused and counted.
    expect(status(east).gossip.rejected["register-not-granted"]).toBeGreaterThan(0);
    expect(status(east).gossip.rejected["report-not-granted"]).toBeGreaterThan(0);
  });

  test("a self-registered server whose node is gone leaves the answers as any silent server, and the site once the node is forgotten", async () => {
    const { sched, net, start } = simSite(4);
    const east = start("east", AREA_NODE, AREA_GRANT, siteTable({ selfRegister: true }));
    start("web-east-1", reporterOf("web-east-1"), reporterGrant("web-east-1"), siteTable({ selfRegister: true }));
    const own = { register_area: "east", register_addresses: ["192.0.2.9"] };
    start("web-east-9", reporterOf("web-east-9", own), reporterGrant("web-east-9"), siteTable({ selfRegister: true }));
    await runUntil(sched, 10_000);
    expect(answered(east)).toEqual([serverName("web-east-1"), serverName("web-east-9")]);
    net.crash("web-east-9");
    await runUntil(sched, 20_000);
    expect(answered(east)).toEqual([serverName("web-east-1")]);
    expect(status(east).servers.find((s) => s.name === "web-east-9")).toMatchObject({ state: "dead", selfRegistered: true });
    await runUntil(sched, 10_000 + 11 * 60_000, 10_000);
    expect(status(east).servers.map((s) => s.name)).toEqual(["web-east-1"]);
  }, 30_000); // eleven simulated minutes

  test("an area that does not allow it: the announcement is refused and counted, the server never answered; a document that allows it lets it in without a restart", async () => {
    const { sched, start } = simSite(3);
    const east = start("east", AREA_NODE, AREA_GRANT, siteTable());
    start("web-east-1", reporterOf("web-east-1"), reporterGrant("web-east-1"), siteTable());
    const own = { register_area: "east", register_addresses: ["192.0.2.9"] };
    start("web-east-9", reporterOf("web-east-9", own), reporterGrant("web-east-9"), siteTable());
    await runUntil(sched, 10_000);
    expect(answered(east)).toEqual([serverName("web-east-1")]);
    expect(status(east).gossip.rejected["register-not-allowed"]).toBeGreaterThan(0);
    expect(status(east).servers.map((s) => s.name)).toEqual(["web-east-1"]);
    const allows = signSiteDocument({ version: 1, site: { ...siteTable({ selfRegister: true }), version: 1 } }, op);
    expect(east.control({ op: "site-push", document: allows }).ok).toBe(true);
    await runUntil(sched, 20_000);
    expect(answered(east)).toEqual([serverName("web-east-1"), serverName("web-east-9")]);
    // The document lists it later (with another address): the document wins, it is no longer self-registered.
    const lists = signSiteDocument({ version: 2, site: { ...siteTable({ selfRegister: true, servers: ["web-east-1", "web-east-9"] }), version: 2 } }, op);
    expect(east.control({ op: "site-push", document: lists }).ok).toBe(true);
    await runUntil(sched, 30_000);
    expect(status(east).servers.find((s) => s.name === "web-east-9")).toMatchObject({ state: "up", selfRegistered: false });
    expect(east.view.snapshot(sched.nowMs).site.servers.find((s) => s.name === "web-east-9")?.addresses).toEqual(["192.0.2.2"]);
  });
});
