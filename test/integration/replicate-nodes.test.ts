// The replicator with the rest of walrus (issue 16): a primary running `walrus node` (replicator,
// controller, east's nameserver) and three web hosts with real sshd, nginx and a reporter that
// reads the release served. A server that missed a publish is stale, left out of the answers
// after the grace, and brought over by the node's resync once ssh reaches it again; a server new
// to the site gets the current release before it is ever answered.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { until, walrus, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { startReplicaLab, type ReplicaLab } from "../../scripts/lib/replica-lab.ts";
import type { StatusReport } from "../../src/ops/status.ts";

setDefaultTimeout(120_000);
const GRACE_MS = 3000;
let r: ReplicaLab;
let docs: string;
const procs: Proc[] = [];

const idOf = (out: string) => /^release ([0-9a-f]{16}):/m.exec(out)?.[1] ?? "";
const servedBy = async (web: string) => (await r.current(web)).replace("releases/", "");
const ipOf = (web: string) => r.lab.address(web);

async function answer(): Promise<string[]> {
  const d = await r.lab.run("primary", ["dig", `@${ipOf("primary")}`, "-p", "5300", "www.repl.test", "A", "+short", "+time=1", "+tries=2"]);
  return d.stdout
    .split("\n")
    .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l.trim()))
    .map((l) => l.trim())
    .sort();
}

async function status(): Promise<StatusReport> {
  const s = await walrus(["status", "--json", "--config", r.nodeConfig("primary", GRACE_MS)]);
  if (s.code !== 0) throw new Error(`walrus status: ${s.stderr}`);
  return JSON.parse(s.stdout) as StatusReport;
}

/** Drops ssh to one web host (gossip and HTTP still pass): a publish cannot reach it. */
const cutSsh = (web: string) => r.lab.nft(web, "table inet walrus_ssh {\n chain input { type filter hook input priority 0;\n tcp dport 22 drop\n }\n}\n");
const healSsh = async (web: string) => {
  const d = await r.lab.run(web, ["nft", "delete", "table", "inet", "walrus_ssh"]);
  if (d.code !== 0) throw new Error(`nft on ${web}: ${d.stderr}`);
};

async function publish(message: string): Promise<string> {
  writeFileSync(join(docs, "index.html"), `${message}\n`);
  // The node holds the primary's state directory: publish with its config so its record is the node's.
  const out = await r.lab.run("primary", [WALRUS, "publish", docs, "--message", message, "--config", r.nodeConfig("primary", GRACE_MS)], {
    timeoutMs: 120_000,
  });
  const id = idOf(out.stdout);
  if (!id) throw new Error(`publish printed no release: ${out.stdout} ${out.stderr}`);
  return id;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the replicator tests build network namespaces and run sshd: run them as root (CI does)");
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  r = await startReplicaLab({ prefix: "wrnod", subnet: "10.215.0", webs: 3 });
  docs = join(r.dir, "docs");
  mkdirSync(docs, { recursive: true });
  for (const host of ["primary", "web1", "web2"]) procs.push(r.startNode(host, GRACE_MS));
  await until("web1 and web2 answered", async () => (await answer()).join() === [ipOf("web1"), ipOf("web2")].sort().join(), 60_000, 250);
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill("SIGKILL")));
  await r?.stop();
});

test("before any publish, the replicator's node has a connection open to every web server", async () => {
  // One control socket per server (ssh-<digest>) appears only once its connection is made.
  const sockets = () => readdirSync(join(r.dir, "node-primary")).filter((f) => f.startsWith("ssh-"));
  await until("a kept connection to web1, web2 and web3", async () => sockets().length === 3, 30_000, 250);
  expect(existsSync(join(r.dir, "node-primary", "releases.json"))).toBe(false);
});

test("a server new to the site gets the current release before it is answered", async () => {
  // web3 is cut off from ssh while the first release goes out, so it has none when its node starts.
  await cutSsh("web3");
  const first = await publish("release one");
  expect(await servedBy("web1")).toBe(first);
  expect(await servedBy("web3")).toBe("");
  procs.push(r.startNode("web3", GRACE_MS));
  await until(
    "web3 reported stale (no release) in status",
    async () => (await status()).servers.find((v) => v.name === "web3")?.stale !== undefined,
    30_000,
    250,
  );
  expect(await answer()).not.toContain(ipOf("web3"));
  await healSsh("web3");
  // Every answer until then is without web3; the first with it finds the release already there.
  let servedWhenAnswered = "";
  const ms = await until(
    "web3 in the answers",
    async () => {
      if (!(await answer()).includes(ipOf("web3"))) return false;
      servedWhenAnswered = await servedBy("web3");
      return true;
    },
    30_000,
    100,
  );
  expect(servedWhenAnswered).toBe(first);
  expect(await r.get("web3", "/index.html")).toBe("release one\n");
  console.log(`web3 brought over and answered ${ms} ms after ssh reached it`);
});

test("a server that missed a publish is left out after the grace, and is back after the heal and a resync", async () => {
  await cutSsh("web2");
  const second = await publish("release two");
  expect(await servedBy("web1")).toBe(second);
  expect(await servedBy("web2")).not.toBe(second);
  const all = [ipOf("web1"), ipOf("web2"), ipOf("web3")].sort().join();
  await until(
    "web2 out of the answers after the grace",
    async () => (await answer()).join() === [ipOf("web1"), ipOf("web3")].sort().join(),
    GRACE_MS + 15_000,
    100,
  );
  const s = await status();
  expect(s.servers.find((v) => v.name === "web2")?.reason).toMatch(/stale: release [0-9a-f]{8}, current [0-9a-f]{8}/);
  // The resync keeps trying (and failing) while ssh is cut, and status says so; web2 stays out meanwhile.
  const failing = async () => (await status()).resync?.find((f) => f.server === "web2");
  await until("the resync of web2 failing in status", async () => ((await failing())?.failures ?? 0) >= 1, 30_000, 250);
  expect((await failing())?.error).toMatch(/ssh|timed out|connect/i);
  expect(await answer()).not.toContain(ipOf("web2"));
  await healSsh("web2");
  await until("web2 back in the answers", async () => (await answer()).join() === all, 45_000, 100);
  await until("no failing resync in status", async () => ((await status()).resync ?? []).length === 0, 10_000, 250);
  expect(await servedBy("web2")).toBe(second);
  expect(await r.get("web2", "/index.html")).toBe("release two\n");
});
