// DNS benchmark: Debian's dnsperf against walrus and against Knot serving the same records, in
// the same run. The server is pinned to core 0 and dnsperf to core 1; queries per server-CPU-second
// compare the servers' cost per query (one dnsperf thread saturates before a fast server does).
// Then a fixed-rate run for loss and latency (p50/p99 from dnsperf's per-query report), and walrus
// with two worker processes on one port, sharing both cores with dnsperf.
//
//   bun scripts/bench-dns.ts [--seconds 5] [--rate 20000]
// Needs root only to install dnsperf/knot (scripts/ensure-tools.sh dnsperf knotd taskset).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startProc, WALRUS, type Proc } from "./lib/demo-site.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, rate: { type: "string", default: "20000" } } });
const SECONDS = Math.min(60, Math.max(1, Number(values.seconds)));
const RATE = Math.min(200_000, Math.max(1000, Number(values.rate)));
const HOST = "127.0.0.1";
const PORTS = { walrus: 49400, walrus2: 49402, walrus1: 49404, knot: 49410 } as const;
const ADDRESSES = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const dir = mkdtempSync(join(tmpdir(), "wdns-bench-"));
const procs: Proc[] = [];
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function walrusConfig(name: string, port: number, workers: number): string {
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, [
    "[node]", `name = "${name}"`, `state_dir = "${join(dir, name)}"`, `listen = ["/ip4/127.0.0.1/tcp/${port + 1}"]`,
    "[nameserver]", 'area = "east"', `listen = ["${HOST}:${port}"]`, `workers = ${workers}`,
    "[site]", 'zone = "demo.test"', 'names = ["www"]', "ttl_seconds = 20", `secret_file = "${join(dir, "site.secret")}"`,
    "[site.areas.east]", 'nameserver = "ns1"', `nameserver_addresses = ["${HOST}"]`,
    ...ADDRESSES.flatMap((a, i) => [`[site.servers.web-${i}]`, 'area = "east"', `addresses = ["${a}"]`]),
  ].join("\n"));
  return file;
}

function knotConfig(): string {
  const zone = join(dir, "demo.test.zone");
  writeFileSync(zone, ["$ORIGIN demo.test.", "$TTL 20", `@ SOA ns1 hostmaster 1 3600 600 86400 20`, "@ NS ns1", `ns1 A ${HOST}`, ...ADDRESSES.map((a) => `www A ${a}`), ""].join("\n"));
  const conf = join(dir, "knot.conf");
  writeFileSync(conf, [
    "server:", `  listen: ${HOST}@${PORTS.knot}`, `  rundir: ${dir}`, "  udp-workers: 1", "  tcp-workers: 1", "  background-workers: 1",
    "log:", "  - target: stderr", "    any: info",
    "database:", `  storage: ${join(dir, "knot-db")}`,
    "zone:", "  - domain: demo.test", `    file: ${zone}`, `    storage: ${dir}`, "",
  ].join("\n"));
  return conf;
}

/** utime + stime of a process and its children (walrus workers), in seconds. */
function cpuSeconds(pid: number): number {
  const children = Bun.spawnSync(["ps", "--ppid", String(pid), "-o", "pid="]).stdout.toString().split("\n").map((s) => s.trim()).filter(Boolean);
  let ticks = 0;
  for (const p of [String(pid), ...children]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS_PER_SECOND;
}

interface PerfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  cpuSeconds: number;
  p50Ms?: number;
  p99Ms?: number;
}

async function dnsperf(port: number, pid: number, o: { rate?: number; cpus: string; verbose?: boolean }): Promise<PerfResult> {
  const data = join(dir, "queries.txt");
  writeFileSync(data, "www.demo.test A\n");
  const cmd = ["taskset", "-c", o.cpus, "dnsperf", "-s", HOST, "-p", String(port), "-d", data, "-l", String(SECONDS), "-c", "16", "-q", "500", "-t", "1"];
  if (o.rate) cmd.push("-Q", String(o.rate));
  if (o.verbose) cmd.push("-v");
  const before = cpuSeconds(pid);
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  const cpu = cpuSeconds(pid) - before;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const result: PerfResult = {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    cpuSeconds: cpu,
  };
  if (Number.isNaN(result.sent)) throw new Error(`dnsperf failed: ${err}${out.slice(-2000)}`);
  if (o.verbose) {
    // Lines like "> NOERROR www.demo.test A 0.000080"
    const latencies = [...out.matchAll(/^> \S+ .* ([\d.]+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    const at = (q: number) => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN) * 1000;
    result.p50Ms = at(0.5);
    result.p99Ms = at(0.99);
  }
  return result;
}

const perCpu = (r: PerfResult) => r.completed / Math.max(r.cpuSeconds, 0.01);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lossPct = (r: PerfResult) => (100 * r.lost) / Math.max(r.sent, 1);

async function main() {
  writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const walrus = startProc("walrus", ["taskset", "-c", "0", WALRUS, "node", "--config", walrusConfig("w1", PORTS.walrus, 0)]);
  const knot = startProc("knot", ["taskset", "-c", "0", "knotd", "-c", knotConfig()]);
  const walrus1 = startProc("walrus-1", ["taskset", "-c", "0", WALRUS, "node", "--config", walrusConfig("wk", PORTS.walrus1, 1)]);
  const walrus2 = startProc("walrus-2", [WALRUS, "node", "--config", walrusConfig("w2", PORTS.walrus2, 2)]);
  procs.push(walrus, knot, walrus1, walrus2);
  await Promise.all([walrus.waitFor(/answering DNS/), walrus1.waitFor(/answering DNS/), walrus2.waitFor(/answering DNS/), knot.waitFor(/loaded, serial|server started/)]);
  await Bun.sleep(500); // let start-up work (libp2p, zone load) finish before CPU is counted

  console.log(`dnsperf ${SECONDS} s per run, 16 clients, one A query with a 4-address answer; server on core 0, dnsperf on core 1\n`);
  const wMax = await dnsperf(PORTS.walrus, walrus.proc.pid, { cpus: "1" });
  const kMax = await dnsperf(PORTS.knot, knot.proc.pid, { cpus: "1" });
  const w1Max = await dnsperf(PORTS.walrus1, walrus1.proc.pid, { cpus: "1" });
  const wRate = await dnsperf(PORTS.walrus, walrus.proc.pid, { cpus: "1", rate: RATE, verbose: true });
  const kRate = await dnsperf(PORTS.knot, knot.proc.pid, { cpus: "1", rate: RATE, verbose: true });
  const w1Rate = await dnsperf(PORTS.walrus1, walrus1.proc.pid, { cpus: "1", rate: RATE, verbose: true });
  const w2Max = await dnsperf(PORTS.walrus2, walrus2.proc.pid, { cpus: "0,1" });

  const row = (name: string, r: PerfResult) => `${name.padEnd(26)} ${fmt(r.qps).padStart(9)} ${fmt(r.cpuSeconds, 2).padStart(8)} ${fmt(perCpu(r)).padStart(12)} ${fmt(lossPct(r), 3).padStart(7)}`;
  console.log(`${"saturating run".padEnd(26)} ${"qps".padStart(9)} ${"cpu s".padStart(8)} ${"q/cpu-s".padStart(12)} ${"loss %".padStart(7)}`);
  console.log(row("walrus (in the node)", wMax));
  console.log(row("knot (1 udp worker)", kMax));
  console.log(row("walrus (1 worker process)", w1Max));
  console.log(row("walrus (2 workers, 2 cores)", w2Max));
  console.log(`\nratio walrus/knot, queries per server-CPU-second: ${fmt(perCpu(wMax) / perCpu(kMax), 3)}`);
  console.log(`worker scaling: 2 workers answered ${fmt(w2Max.qps / wMax.qps, 2)}× the qps of the node alone on one core (dnsperf shares the 2 cores)\n`);
  const lat = (name: string, r: PerfResult) => `${name.padEnd(26)} ${fmt(r.qps).padStart(9)} ${fmt(lossPct(r), 3).padStart(7)} ${fmt(r.p50Ms ?? NaN, 3).padStart(8)} ${fmt(r.p99Ms ?? NaN, 3).padStart(8)}`;
  console.log(`${`fixed rate ${fmt(RATE)} qps`.padEnd(26)} ${"qps".padStart(9)} ${"loss %".padStart(7)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
  console.log(lat("walrus (in the node)", wRate));
  console.log(lat("knot", kRate));
  console.log(lat("walrus (1 worker process)", w1Rate));
  const ok = perCpu(wMax) / perCpu(kMax) >= 0.9 && wRate.lost === 0 && (wRate.p99Ms ?? Infinity) < 1;
  console.log(`\ntarget (≥ 0.9× knot per core, 0 % loss, p99 < 1 ms): ${ok ? "met" : "NOT met"}`);
}

try {
  await main();
} finally {
  await Promise.all(procs.map((p) => p.kill()));
}
