// Cost of steering by location, with a 10,000-entry map (issue 7: under 10 % off the DNS benchmark).
//   bun scripts/bench-ecs.ts [--seconds 5]
// 1. map lookups per second; 2. the DNS answer path in process, without the location hook (the
// thesis) and with it; 3. with dnsperf and taskset: the real `dist/walrus node` on core 0, dnsperf
// on core 1, without a map and with the 10,000-entry map, in queries per server-CPU-second (as
// scripts/bench-dns.ts counts them, so that other load on the machine moves the figures less).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { validate } from "../src/config/validate.ts";
import { areaName, type AreaName, type ServerName } from "../src/core/types.ts";
import { reply, type AnswerContext } from "../src/dns/answer.ts";
import { buildZone, type Zone } from "../src/dns/zone.ts";
import { locationChooser } from "../src/geo/choose-area.ts";
import type { LocationMap } from "../src/geo/location-map.ts";
import { steer } from "../src/geo/steer.ts";
import { SteeringCounts } from "../src/geo/steering-counts.ts";
import { bigMap, random } from "./lib/big-map.ts";
import { startProc, WALRUS, type Proc } from "./lib/demo-site.ts";

const AREAS = ["east", "west", "north"].map(areaName);
const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const SECONDS = Math.min(60, Math.max(1, Number(values.seconds)));
const PORTS = { plain: 50150, mapped: 50152 } as const;
/** The resolver and client the benchmark's queries come from, both inside the map. */
const RESOLVER = "198.51.100.7";
const ECS_HEX = "00011800cb0071"; // family 1, /24, scope 0, 203.0.113

/** The site of FIELD-NOTES' peer benchmark: a 4-address A answer per area. */
function benchZone(): Zone {
  const toml = [
    "[node]",
    'name = "bench"',
    'state_dir = "state"',
    'listen = ["/ip4/127.0.0.1/tcp/50151"]',
    "[nameserver]",
    'area = "east"',
    'listen = ["127.0.0.1:50153"]',
    "[site]",
    'zone = "bench.test"',
    'names = ["www"]',
    'secret_file = "secret"',
    ...AREAS.flatMap((a, i) => [`[site.areas.${a}]`, `nameserver_addresses = ["192.0.2.${i + 1}"]`]),
    ...AREAS.flatMap((a, i) => [1, 2, 3, 4].flatMap((k) => [`[site.servers.${a}-${k}]`, `area = "${a}"`, `addresses = ["10.9.${i}.${k}"]`])),
  ].join("\n");
  const v = validate(parse(toml) as Record<string, unknown>, "bench.toml", tmpdir());
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const site = v.config.site;
  const serversByArea = new Map<AreaName, ServerName[]>(AREAS.map((a) => [a, site.servers.filter((s) => s.area === a).map((s) => s.name)]));
  return buildZone({ site, servedArea: areaName("east"), serversByArea, serial: 1 });
}

function query(ecs: boolean): Uint8Array {
  const name = [
    3,
    ..."www".split("").map((c) => c.charCodeAt(0)),
    5,
    ..."bench".split("").map((c) => c.charCodeAt(0)),
    4,
    ..."test".split("").map((c) => c.charCodeAt(0)),
    0,
  ];
  const option = ecs ? [0, 8, 0, 7, ...Buffer.from(ECS_HEX, "hex")] : [];
  const opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, option.length, ...option];
  return new Uint8Array([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...name, 0, 1, 0, 1, ...opt]);
}

/** Best of three runs of `n` calls, in calls per second. */
function rate(n: number, f: (i: number) => unknown): number {
  return rates(n, [f])[0] ?? 0;
}

/**
 * Calls per CPU-second of this process (not per wall-clock second, which other processes on a
 * shared machine stretch), each variant's best of five runs, the variants taking turns.
 */
function rates(n: number, fs: ((i: number) => unknown)[]): number[] {
  const best = fs.map(() => 0);
  for (let run = 0; run < 5; run++) {
    fs.forEach((f, k) => {
      const t0 = process.cpuUsage();
      for (let i = 0; i < n; i++) f(i);
      const used = process.cpuUsage(t0);
      best[k] = Math.max(best[k] ?? 0, n / ((used.user + used.system) / 1e6));
    });
  }
  return best;
}

const fmt = (x: number) => `${(x / 1000).toFixed(0)}k/s`;

/** A node config for the real server: the same site as benchZone, optionally with a map file. */
function nodeConfig(dir: string, name: string, port: number, mapFile?: string): string {
  const file = join(dir, `${name}.toml`);
  writeFileSync(
    file,
    [
      "[node]",
      `name = "${name}"`,
      `state_dir = "${join(dir, name)}"`,
      `listen = ["/ip4/127.0.0.1/tcp/${port + 1}"]`,
      "[nameserver]",
      'area = "east"',
      `listen = ["127.0.0.1:${port}"]`,
      "[site]",
      'zone = "bench.test"',
      'names = ["www"]',
      `secret_file = "${join(dir, "site.secret")}"`,
      ...(mapFile ? [`location_map_file = "${mapFile}"`] : []),
      ...AREAS.flatMap((a, i) => [`[site.areas.${a}]`, `nameserver_addresses = ["192.0.2.${i + 1}"]`]),
      ...AREAS.flatMap((a, i) => [1, 2, 3, 4].flatMap((k) => [`[site.servers.${a}-${k}]`, `area = "${a}"`, `addresses = ["10.9.${i}.${k}"]`])),
    ].join("\n"),
  );
  return file;
}

/** utime + stime of a process, in seconds (USER_HZ 100). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One saturating dnsperf run from core 1; queries answered per CPU-second of the server. */
async function perCpuSecond(port: number, pid: number, ecs: boolean, dir: string): Promise<{ qps: number; perCpu: number; lost: number }> {
  const data = join(dir, "queries.txt");
  writeFileSync(data, "www.bench.test A\n");
  const before = cpuSeconds(pid);
  const cmd = [
    "taskset",
    "-c",
    "1",
    "dnsperf",
    "-s",
    "127.0.0.1",
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
    ...(ecs ? ["-E", `8:${ECS_HEX}`] : []),
  ];
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", timeout: (SECONDS + 20) * 1000 });
  const cpu = cpuSeconds(pid) - before;
  const out = r.stdout.toString();
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1]);
  if (!Number.isFinite(completed)) throw new Error(`dnsperf failed: ${r.stderr.toString()}${out.slice(-1000)}`);
  return {
    qps: Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]),
    perCpu: completed / Math.max(cpu, 0.01),
    lost: Number(/Queries lost:\s+(\d+)/.exec(out)?.[1]),
  };
}

async function servers(map: LocationMap): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "wecs-bench-"));
  const procs: Proc[] = [];
  try {
    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    // dnsperf asks from 127.0.0.1: map it, so the resolver path finds an entry as a real resolver would.
    const mapFile = join(dir, "locations.txt");
    writeFileSync(mapFile, [...map.lines, "127.0.0.0/8 west", ""].join("\n"));
    const plain = startProc("walrus", ["taskset", "-c", "0", WALRUS, "node", "--config", nodeConfig(dir, "plain", PORTS.plain)]);
    const mapped = startProc("walrus-map", ["taskset", "-c", "0", WALRUS, "node", "--config", nodeConfig(dir, "mapped", PORTS.mapped, mapFile)]);
    procs.push(plain, mapped);
    await Promise.all(procs.map((p) => p.waitFor(/answering DNS/)));
    await Bun.sleep(500); // start-up work done before CPU is counted
    const runs: [string, Proc, number, boolean][] = [
      ["no map", plain, PORTS.plain, false],
      [`map of ${map.size + 1}, by resolver address`, mapped, PORTS.mapped, false],
      ["no map, query with ECS", plain, PORTS.plain, true],
      [`map of ${map.size + 1}, by ECS`, mapped, PORTS.mapped, true],
    ];
    // Twice each, taking turns; the best of two counts.
    const best = new Map<string, { qps: number; perCpu: number; lost: number }>();
    for (let round = 0; round < 2; round++) {
      for (const [name, p, port, ecs] of runs) {
        const r = await perCpuSecond(port, p.proc.pid, ecs, dir);
        if (r.perCpu > (best.get(name)?.perCpu ?? 0)) best.set(name, r);
      }
    }
    const base = best.get("no map")?.perCpu ?? 1;
    console.log(`\nreal server (dist/walrus node) on core 0, dnsperf on core 1, ${SECONDS} s runs, best of two:`);
    for (const [name] of runs) {
      const r = best.get(name);
      if (r)
        console.log(
          `  ${name.padEnd(34)} ${r.qps.toFixed(0).padStart(7)} qps  ${r.perCpu.toFixed(0).padStart(7)} q/cpu-s  ${((100 * r.perCpu) / base).toFixed(1).padStart(5)} %  lost ${r.lost}`,
        );
    }
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const map = bigMap(AREAS);
  console.log(`map: ${map.size} entries, version ${map.version}, built in ${(performance.now() - t0).toFixed(0)} ms`);

  const rand = random(7);
  const v4 = Array.from({ length: 100_000 }, () => Uint8Array.from({ length: 4 }, () => Math.floor(rand() * 256)));
  const v6 = Array.from({ length: 100_000 }, () => Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? 0x20 : Math.floor(rand() * 256))));
  console.log(`lookups, random IPv4: ${fmt(rate(1_000_000, (i) => map.lookup(4, v4[i % v4.length]!)))}`);
  console.log(`lookups, random IPv6: ${fmt(rate(1_000_000, (i) => map.lookup(6, v6[i % v6.length]!)))}`);
  const resolver = { family: 4 as const, bytes: new Uint8Array([198, 51, 100, 7]) };
  console.log(`answer rule (resolver address): ${fmt(rate(1_000_000, () => steer(map, undefined, resolver, areaName("east"))))}`);

  // The answer path in process: the hot path alone, where the map's share of the cost is largest.
  const zone = benchZone();
  const plain = query(false);
  const withEcs = query(true);
  const thesis: AnswerContext = { transport: "udp", rotation: 0, source: RESOLVER };
  const mapped: AnswerContext = { ...thesis, chooseArea: locationChooser(() => map, areaName("east"), new SteeringCounts(AREAS)) };
  const check = (ctx: AnswerContext, q: Uint8Array, expect: string) => {
    const r = reply(q, zone, ctx);
    if (!r || !Buffer.from(r.bytes).includes(Buffer.from(expect.split(".").map(Number)))) throw new Error(`the benchmark's answer is not ${expect}`);
  };
  check(thesis, plain, "10.9.0.1");
  check(mapped, plain, "10.9.1.1");
  check(mapped, withEcs, "10.9.2.1");
  // Many client subnets: every query a /24 not seen before, so no decision is remembered.
  const manyEcs = Array.from({ length: 50_000 }, (_, i) => {
    const q = query(true);
    q.set([1 + (i >> 16), (i >> 8) & 0xff, i & 0xff], q.byteLength - 3);
    return q;
  });
  const pct = (x: number, base: number) => `${fmt(x)} (${((100 * x) / base).toFixed(1)} %)`;
  const [base = 1, ecsBase = 1, manyBase = 1, byResolver = 0, byEcs = 0, byManyEcs = 0] = rates(200_000, [
    (i) => reply(plain, zone, { ...thesis, rotation: i }),
    (i) => reply(withEcs, zone, { ...thesis, rotation: i }),
    (i) => reply(manyEcs[i % manyEcs.length]!, zone, { ...thesis, rotation: i }),
    (i) => reply(plain, zone, { ...mapped, rotation: i }),
    (i) => reply(withEcs, zone, { ...mapped, rotation: i }),
    (i) => reply(manyEcs[i % manyEcs.length]!, zone, { ...mapped, rotation: i }),
  ]);
  console.log(`answer path in process, per CPU-second (the thesis: no hook, ECS ignored):`);
  console.log(`  no ECS:   thesis ${fmt(base)}; with the map, by resolver address ${pct(byResolver, base)}`);
  console.log(`  with ECS from one client subnet:     thesis ${fmt(ecsBase)}; with the map ${pct(byEcs, ecsBase)}`);
  console.log(`  with ECS from 50,000 client subnets: thesis ${fmt(manyBase)}; with the map ${pct(byManyEcs, manyBase)}`);

  if (!Bun.which("dnsperf") || !Bun.which("taskset") || !(await Bun.file(WALRUS).exists())) {
    console.log("dnsperf, taskset or dist/walrus missing: no server figures (scripts/ensure-tools.sh dnsperf; npm run build)");
    return;
  }
  await servers(map);
}

await main();
