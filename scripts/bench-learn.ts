// What learning where resolvers are (issue 18) costs the nameserver: queries per server-CPU-second
// of a walrus node answering from a learned map entry (learning on) against the same node with
// [learn] enabled = false, and Knot as the reference peer, all in one run and in turns. Inside a
// network namespace: Knot listens on the "resolver" address 10.219.9.53 (port 53), so the area
// nameservers' probes to it are answered and the resolver's /24 is learned before dnsperf sends
// every query from that address. Servers on core 0, dnsperf on core 1.
//
//   bun scripts/bench-learn.ts [--seconds 5] [--rounds 3]
// Needs root (namespaces), dnsperf, knotd, taskset.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startProc, until, WALRUS, type Proc } from "./lib/demo-site.ts";
import { createLab } from "./lib/netns.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "3" } } });
const SECONDS = Math.min(60, Math.max(1, Number(values.seconds)));
const ROUNDS = Math.min(10, Math.max(1, Number(values.rounds)));
const RESOLVER = "10.219.9.53";

const dir = mkdtempSync(join(tmpdir(), "wlrn-bench-"));
const lab = await createLab({ prefix: "wlrnb", subnet: "10.219.1", hosts: ["bench"] });
const HOST = lab.address("bench");
const procs: Proc[] = [];
const inLab = (cmd: string[]) => ["ip", "netns", "exec", lab.ns("bench"), ...cmd];

/** user + system seconds of one process so far. */
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};

function nodeConfig(name: string, area: string, port: number, learn: boolean): string {
  const file = join(dir, `${name}.toml`);
  const peers = [7946, 7947, 7948].filter((p) => p !== port + 2600).map((p) => `"/ip4/${HOST}/tcp/${p}"`);
  writeFileSync(
    file,
    [
      "[node]",
      `name = "${name}"`,
      `state_dir = "${join(dir, name)}"`,
      `listen = ["/ip4/${HOST}/tcp/${port + 2600}"]`,
      `bootstrap = [${peers.join(", ")}]`,
      "[nameserver]",
      `area = "${area}"`,
      `listen = ["${HOST}:${port}"]`,
      "[learn]",
      `enabled = ${learn}`,
      "interval_seconds = 1",
      "min_queries = 3",
      "min_samples = 1",
      "[site]",
      'zone = "demo.test"',
      'names = ["www"]',
      "ttl_seconds = 20",
      `secret_file = "${join(dir, "site.secret")}"`,
      "[site.areas.east]",
      'nameserver = "ns-east"',
      `nameserver_addresses = ["${HOST}"]`,
      "[site.areas.west]",
      'nameserver = "ns-west"',
      `nameserver_addresses = ["${HOST}"]`,
      ...["east", "west"].flatMap((a, i) => [
        `[site.servers.web-${a}]`,
        `area = "${a}"`,
        `addresses = ["192.0.2.${i + 1}", "192.0.2.${i + 11}", "192.0.2.${i + 21}", "192.0.2.${i + 31}"]`,
      ]),
    ].join("\n"),
  );
  return file;
}

async function dnsperf(port: number, host: string, pid: number): Promise<{ qps: number; perCpu: number }> {
  const data = join(dir, "queries.txt");
  writeFileSync(data, "www.demo.test A\n");
  const before = cpuOf(pid);
  const p = Bun.spawn(
    inLab([
      "taskset",
      "-c",
      "1",
      "dnsperf",
      "-a",
      RESOLVER,
      "-s",
      host,
      "-p",
      String(port),
      "-d",
      data,
      "-l",
      String(SECONDS),
      "-c",
      "16",
      "-q",
      "500",
      "-t",
      "1",
    ]),
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(p.stdout).text();
  await p.exited;
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  if (Number.isNaN(completed)) throw new Error(`dnsperf failed: ${out.slice(-1500)}`);
  return { qps: Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]), perCpu: completed / Math.max(0.01, cpuOf(pid) - before) };
}

try {
  await lab.run("bench", ["ip", "addr", "add", `${RESOLVER}/24`, "dev", "lo"]);
  writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const zone = join(dir, "demo.test.zone");
  writeFileSync(
    zone,
    [
      "$ORIGIN demo.test.",
      "$TTL 20",
      "@ SOA ns-east hostmaster 1 3600 600 86400 20",
      "@ NS ns-east",
      `ns-east A ${HOST}`,
      ...[1, 11, 21, 31].map((n) => `www A 192.0.2.${n}`),
      "",
    ].join("\n"),
  );
  const knotConf = join(dir, "knot.conf");
  writeFileSync(
    knotConf,
    [
      "server:",
      `  listen: ${RESOLVER}@53`,
      `  rundir: ${dir}`,
      "  udp-workers: 1",
      "  tcp-workers: 1",
      "  background-workers: 1",
      "database:",
      `  storage: ${join(dir, "knot-db")}`,
      "zone:",
      "  - domain: demo.test",
      `    file: ${zone}`,
      `    storage: ${dir}`,
      "",
    ].join("\n"),
  );
  const knot = startProc("knot", inLab(["taskset", "-c", "0", "knotd", "-c", knotConf]));
  const on = startProc("on", inLab(["taskset", "-c", "0", WALRUS, "node", "--config", nodeConfig("on", "east", 5346, true)]));
  const west = startProc("west", inLab(["taskset", "-c", "1", WALRUS, "node", "--config", nodeConfig("west", "west", 5347, true)]));
  const off = startProc("off", inLab(["taskset", "-c", "0", WALRUS, "node", "--config", nodeConfig("off", "east", 5348, false)]));
  procs.push(knot, on, west, off);
  await Promise.all([on, west, off].map((p) => p.waitFor(/answering DNS/)).concat(knot.waitFor(/loaded, serial|server started/)));
  // A few queries from the resolver's address at both learning nodes, then wait for its /24.
  for (const port of [5346, 5347])
    await lab.run("bench", ["dig", "-b", RESOLVER, "-p", String(port), `@${HOST}`, ...Array(5).fill(["www.demo.test", "A"]).flat()]);
  await until(
    "the resolver's /24 learned",
    async () => {
      const r = await lab.run("bench", [WALRUS, "status", "--json", "--config", join(dir, "on.toml")]);
      return JSON.parse(r.stdout).locations.learned.entries.length === 1;
    },
    60_000,
    500,
  );
  console.log((await lab.run("bench", [WALRUS, "locations", "--config", join(dir, "on.toml")])).stdout.trim());
  const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `\ndnsperf ${SECONDS} s per run from ${RESOLVER}, 16 clients, one A query (4 addresses); servers on core 0, dnsperf on core 1; load average ${load()}\n`,
  );
  console.log(`${"round".padEnd(6)} ${"server".padEnd(22)} ${"qps".padStart(9)} ${"q/cpu-s".padStart(10)}`);
  const sums = { on: 0, off: 0, knot: 0 };
  for (let r = 1; r <= ROUNDS; r++) {
    // The order alternates, so neither walrus always runs first.
    const turns = [
      ["on", 5346, HOST, on],
      ["off", 5348, HOST, off],
      ["knot", 53, RESOLVER, knot],
    ] as const;
    for (const [name, port, host, proc] of r % 2 ? turns : [turns[1], turns[0], turns[2]]) {
      const res = await dnsperf(port, host, proc.proc.pid);
      sums[name] += res.perCpu;
      console.log(
        `${String(r).padEnd(6)} ${(name === "on" ? "walrus, learning on" : name === "off" ? "walrus, learning off" : "knot").padEnd(22)} ${res.qps.toFixed(0).padStart(9)} ${res.perCpu.toFixed(0).padStart(10)}`,
      );
    }
  }
  const steered = JSON.parse((await lab.run("bench", [WALRUS, "status", "--json", "--config", join(dir, "on.toml")])).stdout).locations.steering.byArea;
  console.log(
    `\nlearning on: queries answered from the learned map: ${Object.values(steered).reduce((n: number, c) => n + ((c as Record<string, number>).learned ?? 0), 0)}`,
  );
  console.log(
    `queries per server-CPU-second, mean of ${ROUNDS} rounds: on/off ${(sums.on / sums.off).toFixed(3)}; on/knot ${(sums.on / sums.knot).toFixed(3)}; off/knot ${(sums.off / sums.knot).toFixed(3)}; load average ${load()}`,
  );
} finally {
  await Promise.all(procs.map((p) => p.kill()));
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
