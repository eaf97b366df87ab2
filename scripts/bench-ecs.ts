// Cost of steering by location, with a 10,000-entry map (issue 7: under 10 % off the DNS benchmark).
//   bun scripts/bench-ecs.ts            lookups/s, the in-process answer path, and (with dnsperf and
//                                       taskset) a real UDP server on 127.0.0.1:50150 pinned to core 0
//   bun scripts/bench-ecs.ts --serve M  (internal) serve in mode M: thesis | map
// Prints one line per figure; the answer-path ratios are the ones the issue asks about.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { validate } from "../src/config/validate.ts";
import { areaName, type AreaName, type ServerName } from "../src/core/types.ts";
import { reply, type AnswerContext } from "../src/dns/answer.ts";
import { startDnsServer } from "../src/dns/server.ts";
import { buildZone, type Zone } from "../src/dns/zone.ts";
import type { Family } from "../src/geo/address.ts";
import { locationChooser } from "../src/geo/choose-area.ts";
import { LocationMap, type LocationEntry } from "../src/geo/location-map.ts";
import { steer } from "../src/geo/steer.ts";
import { SteeringCounts } from "../src/geo/steering-counts.ts";

const AREAS = ["east", "west", "north"].map(areaName);
const PORT = 50150;
const ENTRIES = 10_000;
/** The resolver and client the benchmark's queries come from, both inside the map. */
const RESOLVER = "198.51.100.7";
const ECS_HEX = "00011800cb0071"; // family 1, /24, scope 0, 203.0.113

/** Seeded, so two runs measure the same map. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** 10,000 entries: random IPv4 prefixes (/12–/24) and about 1,000 IPv6 ones (/24–/48), with the benchmark's own resolver and client. */
function bigMap(): LocationMap {
  const rand = random(42);
  const entries: LocationEntry[] = [];
  const add = (family: Family, bytes: Uint8Array, length: number, area: AreaName) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) & (0xff << (8 - Math.min(8, Math.max(0, length - 8 * i)))) & 0xff;
    entries.push({ prefix: { family, bytes, length }, area, file: "bench", key: `entry ${entries.length}` });
  };
  for (let i = 0; i < ENTRIES - 1_000; i++) add(4, Uint8Array.from({ length: 4 }, () => Math.floor(rand() * 256)), 12 + Math.floor(rand() * 13), AREAS[i % 3]!);
  for (let i = 0; i < 1_100; i++) add(6, Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? 0x20 : Math.floor(rand() * 256))), 24 + Math.floor(rand() * 25), AREAS[i % 3]!);
  // Random prefixes may repeat: keep the first of each, then exactly ENTRIES of them.
  const seen = new Set<string>();
  const unique = entries.filter((e) => {
    const k = `${e.prefix.family} ${e.prefix.bytes.join(".")}/${e.prefix.length}`;
    return !seen.has(k) && seen.add(k) !== undefined;
  });
  unique.splice(ENTRIES - 2);
  unique.push(...[entryOf([198, 51, 100, 0], "west"), entryOf([203, 0, 113, 0], "north")]);
  return new LocationMap(unique);
}

function entryOf(bytes: number[], area: string): LocationEntry {
  return { prefix: { family: 4, bytes: new Uint8Array(bytes), length: 24 }, area: areaName(area), file: "bench", key: area };
}

/** The site of FIELD-NOTES' peer benchmark: a 4-address A answer per area. */
function benchZone(): Zone {
  const toml = [
    "[node]", 'name = "bench"', 'state_dir = "state"', 'listen = ["/ip4/127.0.0.1/tcp/50151"]',
    "[nameserver]", 'area = "east"', `listen = ["127.0.0.1:${PORT}"]`,
    "[site]", 'zone = "bench.test"', 'names = ["www"]', 'secret_file = "secret"',
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
  const name = [3, ..."www".split("").map((c) => c.charCodeAt(0)), 5, ..."bench".split("").map((c) => c.charCodeAt(0)), 4, ..."test".split("").map((c) => c.charCodeAt(0)), 0];
  const option = ecs ? [0, 8, 0, 7, ...Buffer.from(ECS_HEX, "hex")] : [];
  const opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, option.length, ...option];
  return new Uint8Array([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...name, 0, 1, 0, 1, ...opt]);
}

/** Best of three runs of `n` calls, in calls per second. */
function rate(n: number, f: (i: number) => unknown): number {
  return rates(n, [f])[0] ?? 0;
}

/** Each variant's best of five runs, the variants taking turns so that load from other processes hits them alike. */
function rates(n: number, fs: ((i: number) => unknown)[]): number[] {
  const best = fs.map(() => 0);
  for (let run = 0; run < 5; run++) {
    fs.forEach((f, k) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f(i);
      best[k] = Math.max(best[k] ?? 0, n / ((performance.now() - t0) / 1000));
    });
  }
  return best;
}

const fmt = (x: number) => `${(x / 1000).toFixed(0)}k/s`;

async function serve(mode: string): Promise<void> {
  const zone = benchZone();
  const chooseArea = mode === "map" ? locationChooser(bigMap(), areaName("east"), new SteeringCounts(AREAS)) : undefined;
  await startDnsServer({ listen: [{ host: "127.0.0.1", port: PORT }], zone: () => zone, chooseArea });
  console.log("ready");
}

async function dnsperf(mode: string, ecs: boolean, dir: string): Promise<number | undefined> {
  const server = Bun.spawn(["taskset", "-c", "0", process.execPath, import.meta.path, "--serve", mode], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = server.stdout.getReader();
    const first = await Promise.race([reader.read(), Bun.sleep(10_000).then(() => undefined)]);
    if (!first || first.done) throw new Error("server did not start");
    const queries = join(dir, "queries.txt");
    writeFileSync(queries, "www.bench.test A\n");
    const args = ["taskset", "-c", "1", "dnsperf", "-s", "127.0.0.1", "-p", String(PORT), "-d", queries, "-l", "5", "-c", "4", "-q", "200", ...(ecs ? ["-E", `8:${ECS_HEX}`] : [])];
    const r = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
    const out = r.stdout.toString();
    const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]);
    const lost = /Queries lost:\s+(\d+)/.exec(out)?.[1];
    console.log(`  dnsperf, server on one core, ${mode}${ecs ? " + ECS" : ""}: ${qps.toFixed(0)} queries/s, lost ${lost}`);
    return Number.isFinite(qps) ? qps : undefined;
  } finally {
    server.kill();
    await server.exited;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "--serve") return serve(process.argv[3] ?? "thesis");

  const t0 = performance.now();
  const map = bigMap();
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
  const mapped: AnswerContext = { ...thesis, chooseArea: locationChooser(map, areaName("east"), new SteeringCounts(AREAS)) };
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
  const [base = 1, byResolver = 0, byEcs = 0, byManyEcs = 0] = rates(200_000, [
    (i) => reply(plain, zone, { ...thesis, rotation: i }),
    (i) => reply(plain, zone, { ...mapped, rotation: i }),
    (i) => reply(withEcs, zone, { ...mapped, rotation: i }),
    (i) => reply(manyEcs[i % manyEcs.length]!, zone, { ...mapped, rotation: i }),
  ]);
  console.log(`answer path in process: thesis ${fmt(base)}; with the map, by resolver ${pct(byResolver, base)}, by ECS ${pct(byEcs, base)}, by ECS from 50,000 subnets ${pct(byManyEcs, base)}`);

  if (!Bun.which("dnsperf") || !Bun.which("taskset")) {
    console.log("dnsperf or taskset missing: no server figures (apt-get install dnsperf util-linux)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "wecs-bench-"));
  try {
    // Twice each, taking turns, best of two: other processes on the machine move these figures.
    const best = async (mode: string, ecs: boolean, prev?: number) => Math.max(prev ?? 0, (await dnsperf(mode, ecs, dir)) ?? 0) || undefined;
    let a: number | undefined, b: number | undefined, c: number | undefined;
    for (let round = 0; round < 2; round++) {
      a = await best("thesis", false, a);
      b = await best("map", false, b);
      c = await best("map", true, c);
    }
    if (a && b && c) console.log(`server: with the map ${((100 * b) / a).toFixed(1)} % of the thesis' rate by resolver address, ${((100 * c) / a).toFixed(1)} % by ECS`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
