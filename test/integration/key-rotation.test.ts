// Operator key rotation on a running site, across hosts of their own (network namespaces), as
// README "When something is lost or compromised" tells it: both public keys in every node's
// operator_keys (SIGHUP), new grants signed by the new key (SIGHUP), the old key removed
// (SIGHUP); nothing restarts and every area keeps answering home. Then the stolen-key case: a
// grant signed by the removed key is refused, counted, and changes nothing.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { until, walrus, WALRUS } from "../../scripts/lib/demo-site.ts";
import { startLabSite, type LabSite } from "../../scripts/lib/lab-site.ts";
import { peerIdOfKey } from "../../src/net/peer-keys.ts";

setDefaultTimeout(90_000);
let s: LabSite;
let oldKey: string;
const AREAS = ["east", "west", "north"];
const newKey = () => join(s.site.dir, "operator-new.key");
const eastConfig = () => s.site.areas[0]?.config as string;

const homeOf = (a: string) =>
  s.site.servers
    .filter((x) => x.area === a)
    .map((x) => x.host)
    .sort()
    .join();
const nodes = () => [...s.site.areas, ...s.site.servers];
const allHome = async () => (await Promise.all(AREAS.map(async (a) => (await s.answer(a)).join() === homeOf(a)))).every(Boolean);

/** Rewrites every node file's operator_keys and sends SIGHUP; waits until every node trusts exactly `keys`. */
async function trustEverywhere(keys: string[]): Promise<void> {
  for (const n of nodes()) {
    writeFileSync(n.config, readFileSync(n.config, "utf8").replace(/^operator_keys = .*$/m, `operator_keys = ${JSON.stringify(keys)}`));
    s.procs.get(n.name)?.proc.kill("SIGHUP");
  }
  await until(`every node trusting ${keys.length} key(s)`, async () => {
    const got = await Promise.all(nodes().map(async (n) => (await s.status(n.name)).authority.operatorKeys));
    return got.every((k) => k === keys.length);
  });
}

/** `walrus grant` with this key for a node's peer id (read from its identity key). */
async function grant(key: string, n: { name: string; stateDir: string }, roles: string[]): Promise<string> {
  const peer = peerIdOfKey(readFileSync(join(n.stateDir, "identity.key")));
  const r = await walrus(["grant", "--key", key, "--peer", peer, "--node", n.name, "--days", "1", ...roles]);
  if (r.code !== 0) throw new Error(`walrus grant: ${r.stderr}`);
  return r.stdout.trim();
}

const rolesOf = (name: string): string[] => {
  const a = s.site.areas.find((x) => x.name === name);
  return a ? ["--controller", String(a.priority), "--nameserver", a.name, "--drain"] : ["--reporter", name];
};

/** Every node, east itself included, is granted something in east's eyes (its grants hold under the keys east trusts). */
async function everyoneGranted(): Promise<boolean> {
  const st = await s.status("east");
  return st.members.length === nodes().length && st.members.every((m) => !!m.granted);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the key rotation tests build network namespaces: run them as root (CI does)");
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  s = await startLabSite({ prefix: "wrot", subnet: "10.224.0" });
  oldKey = s.site.operatorKey as string;
  for (const a of AREAS) await until(`${a} answering home`, async () => (await s.answer(a)).join() === homeOf(a), 40_000, 250);
  await until(
    "east master everywhere",
    async () => (await Promise.all(AREAS.map(async (a) => (await s.status(a)).master?.node))).every((m) => m === "east"),
    20_000,
    250,
  );
}, 90_000);

afterAll(async () => {
  await s?.stop();
});

describe("operator key rotation on a running site", () => {
  test("planned: both keys, new grants, old key removed, each by SIGHUP; nothing restarts, nobody loses a grant, the master stays", async () => {
    const pids = new Map(nodes().map((n) => [n.name, s.procs.get(n.name)?.proc.pid]));
    const made = await walrus(["keygen", "--operator", "--out", newKey()]);
    expect(made.code).toBe(0);
    const oldPublic = readFileSync(eastConfig(), "utf8").match(/^operator_keys = \["([^"]+)"\]/m)?.[1] as string;
    const newPublic = made.stdout.trim();
    const startedAt = performance.now();

    await trustEverywhere([oldPublic, newPublic]);
    const both = performance.now() - startedAt;
    for (const n of nodes()) {
      const file = readFileSync(n.config, "utf8").match(/^grants_file = "([^"]+)"/m)?.[1] as string;
      writeFileSync(file, `${await grant(newKey(), n, rolesOf(n.name))}\n`);
      s.procs.get(n.name)?.proc.kill("SIGHUP");
    }
    await Bun.sleep(1500); // a heartbeat or two: every node presents its new grant
    await trustEverywhere([newPublic]);
    const done = performance.now() - startedAt;
    await until("every member granted under the new key alone", everyoneGranted, 15_000, 250);
    console.log(`rotation by SIGHUP: both keys trusted everywhere ${both.toFixed(0)} ms, old key gone everywhere ${done.toFixed(0)} ms after the first SIGHUP`);

    await until("every area answering home", allHome, 15_000, 250); // at once on an idle machine; a loaded one may flap servers
    for (const a of AREAS) expect((await s.status(a)).master?.node).toBe("east");
    for (const n of nodes()) expect(s.procs.get(n.name)?.proc.pid).toBe(pids.get(n.name));
    for (const n of nodes()) expect(s.procs.get(n.name)?.proc.exitCode).toBeNull();

    // The next site document is signed by the new key; the old one is refused.
    const show = await walrus(["site", "show", "--config", eastConfig()]);
    const table = (parse(show.stdout) as { site: Record<string, unknown> }).site;
    delete table.version;
    const file = join(s.site.dir, "site-next.toml");
    writeFileSync(file, stringify({ site: { ...table, names: ["www", "app"] } }));
    const refused = await walrus(["site", "push", file, "--key", oldKey, "--config", eastConfig()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("site-unknown-key");
    const pushed = await walrus(["site", "push", file, "--key", newKey(), "--config", eastConfig()]);
    expect(pushed.stderr + pushed.stdout).toContain("pushed");
    for (const a of AREAS) await until(`${a} answering app`, async () => (await s.answer(a, { name: `app.${s.site.zone}` })).join() === homeOf(a), 15_000, 250);
  });

  test("stolen: a grant signed by the removed key is refused and counted, and changes nothing", async () => {
    const web = s.site.servers[0] as LabSite["site"]["servers"][number];
    const rejected = async () => (await s.status("east")).gossip.rejected["grant-unknown-key"] ?? 0;
    const before = await rejected();
    const file = readFileSync(web.config, "utf8").match(/^grants_file = "([^"]+)"/m)?.[1] as string;
    const stolen = await grant(oldKey, web, ["--controller", "99", "--nameserver", "east", "--drain"]);
    writeFileSync(file, `${readFileSync(file, "utf8")}${stolen}\n`);
    s.procs.get(web.name)?.proc.kill("SIGHUP");
    // The web node's next heartbeat carries the new grant and is refused; it beats again only
    // with news (a reporter-only node's reports keep it heard), so one refusal is what to expect.
    await until("east refusing the grant signed by the removed key", async () => (await rejected()) > before, 15_000, 250);
    const member = (await s.status("east")).members.find((m) => m.node === web.name);
    expect(member?.granted).not.toContain("controller");
    for (const a of AREAS) expect((await s.status(a)).master?.node).toBe("east");
    await until("every area answering home", allHome, 15_000, 250); // at once on an idle machine; a loaded one may flap servers
  });
});
