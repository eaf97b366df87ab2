// Failover benchmark on loopback with real processes (the compiled binary, fake web servers):
//   - web server killed (kill -9) → every area nameserver has left it out of its answers;
//   - master killed (kill -9) → the successor's first assignment is applied by every
//     surviving nameserver.
// Prints p50/p90/p99/max per measure.  bun scripts/bench-failover.ts [--trials 10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { queryA } from "./lib/dns-query.ts";
import { startNode, startWeb, until, walrus, writeSite, type Proc } from "./lib/demo-site.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "10" } } });
const trials = Number(values.trials);
const dir = mkdtempSync(join(tmpdir(), "walrus-bench-"));
const site = writeSite({ dir, basePort: 48500, octet: 5 });
const name = `www.${site.zone}`;
const procs = new Map<string, Proc>();
const POLL_MS = 10;

const answers = async () => Promise.all(site.areas.map((a) => queryA(a.dnsPort, name).catch(() => [] as string[])));
const statusOf = async (config: string) => JSON.parse((await walrus(["status", "--json", "--config", config])).stdout);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
  return `n=${s.length} p50=${q(50).toFixed(0)} ms p90=${q(90).toFixed(0)} ms p99=${q(99).toFixed(0)} ms max=${(s[s.length - 1] ?? 0).toFixed(0)} ms`;
};
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

try {
  for (const s of site.servers) procs.set(`web:${s.name}`, startWeb(s));
  await Promise.all([...procs.values()].map((p) => p.waitFor(/listening/)));
  for (const a of site.areas) procs.set(a.name, startNode(a.name, a.config));
  for (const s of site.servers) procs.set(s.name, startNode(s.name, s.config));
  await until(
    "a master's assignment everywhere",
    async () => (await Promise.all(site.areas.map((a) => statusOf(a.config)))).every((s) => s.assignment && s.master?.node === "east"),
    30_000,
    250,
  );
  progress(`site up in ${dir}`);

  const webMs: number[] = [];
  for (let i = 0; i < trials; i++) {
    const victim = site.servers[i % site.servers.length] as (typeof site.servers)[number];
    await until(`${victim.name} in answers`, async () => (await answers()).some((a) => a.includes(victim.host)), 15_000, 50);
    await Bun.sleep(1500 + Math.random() * 1000); // kill at a random phase of the report interval
    const t0 = performance.now();
    await procs.get(`web:${victim.name}`)?.kill("SIGKILL");
    await until(`${victim.name} out of every answer`, async () => (await answers()).every((a) => !a.includes(victim.host)), 15_000, POLL_MS);
    webMs.push(performance.now() - t0);
    progress(`web trial ${i + 1}/${trials}: ${victim.name} out of every answer after ${webMs.at(-1)?.toFixed(0)} ms`);
    const p = startWeb(victim);
    procs.set(`web:${victim.name}`, p);
    await p.waitFor(/listening/);
  }

  const masterMs: number[] = [];
  for (let i = 0; i < trials; i++) {
    await until(
      "east is master with a fresh view",
      async () =>
        (await Promise.all(site.areas.map((a) => statusOf(a.config)))).every((s) => s.master?.node === "east" && s.assignment?.master === s.master.peer),
      30_000,
      200,
    );
    await Bun.sleep(500 + Math.random() * 1000);
    const survivors = site.areas.filter((a) => a.name !== "east").map((a) => procs.get(a.name) as Proc);
    const marks = survivors.map((p) => p.output().length);
    const t0 = performance.now();
    await procs.get("east")?.kill("SIGKILL");
    // every surviving nameserver logs the switch when it applies the successor's first assignment
    await until(
      "survivors following the successor",
      () => survivors.every((p, k) => p.output().slice(marks[k]).includes("following the master's assignments")),
      15_000,
      POLL_MS,
    );
    masterMs.push(performance.now() - t0);
    progress(`master trial ${i + 1}/${trials}: successor's assignment applied everywhere after ${masterMs.at(-1)?.toFixed(0)} ms`);
    procs.set("east", startNode("east", site.areas[0]?.config as string));
  }

  console.log(`web server killed → left out by every nameserver: ${stats(webMs)}  (target p99 ≤ 3000 ms, report interval 1000 ms)`);
  console.log(`master killed → successor's first assignment applied: ${stats(masterMs)}  (target p99 ≤ 2000 ms)`);
} finally {
  await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
}
