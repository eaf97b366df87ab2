// SiteDocs over a node file on disk (it validates documents against the node's whole config, as
// the node does) and an in-memory state store; the clock is a number the test moves.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newOperatorKey, operatorSigner } from "../../../src/authority/operator-key.ts";
import { signSiteDocument } from "../../../src/authority/site-document.ts";
import { loadConfig } from "../../../src/config/load.ts";
import type { NodeConfig } from "../../../src/config/types.ts";
import { createLogger } from "../../../src/core/log.ts";
import type { SiteDocument } from "../../../src/core/types.ts";
import { SiteDocs } from "../../../src/roles/site-docs.ts";
import { MemoryStore } from "../../../src/state/store.ts";

const op = operatorSigner(newOperatorKey().privateKeyPem);
const dir = mkdtempSync(join(tmpdir(), "walrus-sitedocs-"));
writeFileSync(join(dir, "site.secret"), "0123456789abcdef0123456789abcdef\n");
const site = (servers: string[]) => ({
  zone: "example.test",
  names: ["www"],
  areas: { east: { nameserver: "ns-east", nameserver_addresses: ["192.0.2.53"] } },
  servers: Object.fromEntries(servers.map((s, i) => [s, { area: "east", addresses: [`192.0.2.${i + 1}`] }])),
});
writeFileSync(
  join(dir, "east.toml"),
  `[node]\nname = "east"\nstate_dir = "${dir}/state"\nlisten = ["/ip4/127.0.0.1/tcp/1"]\noperator_keys = ["${op.publicKey}"]\n` +
    `[nameserver]\narea = "east"\nlisten = ["127.0.0.1:53"]\n` +
    `[site]\nzone = "example.test"\nnames = ["www"]\nsecret_file = "site.secret"\n[site.areas.east]\nnameserver = "ns-east"\nnameserver_addresses = ["192.0.2.53"]\n[site.servers.web-1]\narea = "east"\naddresses = ["192.0.2.1"]\n`,
);
const loaded = loadConfig(join(dir, "east.toml"));
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const own: NodeConfig = loaded.config;

function docs(store = new MemoryStore()) {
  let now = 0;
  const published: SiteDocument[] = [];
  const adopted: NodeConfig[] = [];
  const logged: string[] = [];
  const log = createLogger({ level: "warn", burst: 100, write: (line) => logged.push(line) });
  const d = new SiteDocs(own, { store, clock: () => now, log, publish: (x) => published.push(x) });
  d.onAdopt((c) => adopted.push(c));
  return { d, store, published, adopted, logged, at: (ms: number) => (now = ms) };
}
const doc = (version: number, servers: string[]) => signSiteDocument({ version, site: { ...site(servers), version } }, op);

describe("the site document in force", () => {
  test("starts on the node's own file (version 0) and adopts a newer document: persisted, adopted, not re-gossiped from gossip", () => {
    const t = docs();
    expect(t.d.version).toBe(0);
    expect(t.d.offer(doc(1, ["web-1", "web-2"]), { publish: false })).toBeUndefined();
    expect(t.d.version).toBe(1);
    expect(t.adopted.map((c) => c.site.servers.map((s) => s.name as string))).toEqual([["web-1", "web-2"]]);
    expect(t.published).toEqual([]);
    expect((t.store.readJson("site-document.json") as SiteDocument).version).toBe(1);
    // a restart starts from the saved document
    expect(docs(t.store).d.running.site.servers.length).toBe(2);
  });

  test("refuses an older version, the same version with other contents, and a document that does not fit the node", () => {
    const t = docs();
    t.d.offer(doc(2, ["web-1", "web-2"]), { publish: true });
    expect(t.published.length).toBe(1);
    expect(t.d.offer(doc(1, ["web-1"]), { publish: false })).toBe("site-version-older");
    expect(t.d.offer(doc(2, ["web-1", "web-3"]), { publish: false })).toBe("site-version-conflict");
    expect(t.d.offer(doc(2, ["web-1", "web-2"]), { publish: false })).toBeUndefined(); // the same again: nothing to do
    const noEast = signSiteDocument({ version: 3, site: { ...site(["web-1"]), areas: { west: { nameserver: "ns-west" } }, version: 3 } }, op);
    expect(t.d.offer(noEast, { publish: false })).toBe("site-document-invalid");
    expect(t.d.offer(noEast, { publish: false })).toBe("site-document-invalid"); // re-sent by a peer: refused again
    expect(t.d.version).toBe(2);
    expect(t.adopted.length).toBe(1);
    expect(t.logged.filter((l) => l.includes("does not fit")).length).toBe(1);
  });

  test("a peer behind is sent the document, at most once a second", () => {
    const t = docs();
    t.d.heard(0);
    expect(t.published).toEqual([]); // nothing signed to send yet
    t.d.offer(doc(1, ["web-1"]), { publish: false });
    t.at(5000);
    t.d.heard(0);
    t.d.heard(0);
    t.d.heard(1);
    expect(t.published.map((d) => d.version)).toEqual([1]);
    t.at(6001);
    t.d.heard(0);
    expect(t.published.length).toBe(2);
  });

  test("a peer that holds the document but cannot run it is not sent it again; a newer one is sent", () => {
    const t = docs();
    t.d.offer(doc(1, ["web-1"]), { publish: false });
    t.d.heard(0, 1); // on 0 because 1 does not fit it (its server is gone): it has 1 already
    t.at(5000);
    t.d.heard(0, 1);
    expect(t.published).toEqual([]);
    t.d.offer(doc(2, ["web-1", "web-2"]), { publish: false });
    t.at(10_000);
    t.d.heard(0, 1);
    expect(t.published.map((d) => d.version)).toEqual([2]);
  });

  test("a document that does not fit is announced as held but not run, until a newer one is adopted", () => {
    const t = docs();
    expect(t.d.unfitVersion).toBeUndefined();
    const noEast = signSiteDocument({ version: 1, site: { ...site(["web-1"]), areas: { west: { nameserver: "ns-west" } }, version: 1 } }, op);
    expect(t.d.offer(noEast, { publish: false })).toBe("site-document-invalid");
    expect(t.d.unfitVersion).toBe(1);
    t.d.offer(doc(2, ["web-1"]), { publish: false });
    expect(t.d.unfitVersion).toBeUndefined();
  });
});
