// Scale benchmark: what the control plane costs each node, and how fast it fails over, as the
// site grows. For each N: 3 area nodes (controller + nameserver) and N reporter nodes (TCP
// probe) of the compiled binary on loopback. After a warm-up, over one window:
//   - CPU per node, from /proc/<pid>/stat (utime + stime), as % of one core; RSS at its end, and
//     of it the node's own memory (RssAnon): the rest is the executable's pages, shared by every
//     walrus process on a host (about 57 MB of them are resident in each);
//   - gossip messages each node handled per second (walrus_gossip_messages_accepted_total);
// then failover, polled over UDP every 50 ms:
//   - a web server closed → until no area's answer holds it;
//   - the master killed (SIGKILL) → until every surviving area node sees another master.
// A bare compiled Bun binary (`setInterval(() => {}, 1000)`) is measured in the same window as
// the runtime's floor for CPU and RSS. Then, at each N, the floors of the stack: the same layout
// of nodes publishing what the simulator says each kind of walrus node publishes and doing
// nothing else, over walrus's gossip bus alone (scripts/lib/bus-floor-node.ts), over libp2p
// streams without gossipsub (stream-floor-node.ts) and over plain TCP (raw-floor-node.ts),
// each measured the same way after the same warm-up; walrus's ratio to each is what it adds.
// Then the simulator's message counts, extrapolated to 500 servers.
// The warm-up is long because Bun's JIT keeps compiling for minutes: a reporter measured 20 s
// after the site settled costs about twice what it costs ten minutes later.
//   bun scripts/bench-scale.ts [--n 10,25,48] [--quick] [--trials 10] [--warmup 180]
//     [--floors bus,streams,tcp] [--floor-rates 1,0.25,0] (shares of walrus's messages) [--floors-only]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { queryA } from "./lib/dns-query.ts";
import { BUN, startNode, startProc, until, type Proc } from "./lib/demo-site.ts";
import { portBlock } from "./lib/ports.ts";
import { writeScaleSite, type ScaleSite } from "./lib/scale-site.ts";
import { buildFloorNode, receivedSoFar, startFloorSite } from "./lib/bus-floor.ts";
import { publishingAt, simulatedCosts, type Publishing } from "./lib/scale-sim.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10,25,48" },
    quick: { type: "boolean", default: false },
    trials: { type: "string" },
    warmup: { type: "string" },
    floors: { type: "string", default: "bus,streams,tcp" },
    "floor-rates": { type: "string", default: "1" },
    "floors-only": { type: "boolean", default: false },
  },
});
const sizes = values.n.split(",").map(Number);
const quick = values.quick;
const WARMUP_MS = 1000 * Number(values.warmup ?? (quick ? 60 : 180));
const WINDOW_MS = quick ? 10_000 : 30_000;
const trials = Number(values.trials ?? (quick ? 3 : 10));
const POLL_MS = 50;
const CLK_TCK = 100; // Linux USER_HZ
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

interface Sample {
  cpuTicks: number;
  rssMb: number;
  anonMb: number;
}
function sample(pid: number): Sample {
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuTicks: Number(f[11]) + Number(f[12]), rssMb: kb("VmRSS") / 1024, anonMb: kb("RssAnon") / 1024 };
}

async function handled(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^walrus_gossip_messages_accepted_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

interface StatusSeen {
  peer: string;
  master: { peer: string } | null;
  assignment: object | null;
}
const statusJson = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/status.json`, { signal: AbortSignal.timeout(3000) })).json()) as StatusSeen;

const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return { p50: q(50), p99: q(99), max: s[s.length - 1] ?? NaN };
};
const ms = (x: number) => `${x.toFixed(0)}`;

/** The floor: a compiled Bun binary doing nothing but keep a timer. */
function buildIdle(dir: string): string {
  const src = join(dir, "idle.ts");
  writeFileSync(src, "setInterval(() => {}, 1000);\n");
  const out = join(dir, "idle");
  const b = Bun.spawnSync([BUN, "build", "--compile", src, "--outfile", out], { stdout: "ignore", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`building the idle binary: ${b.stderr}`);
  return out;
}

interface Row {
  n: number;
  areaCpu: number[];
  reporterCpu: number[];
  idleCpu: number;
  areaRss: number[];
  reporterRss: number[];
  areaAnon: number[];
  reporterAnon: number[];
  idleRss: number;
  areaMsgs: number[];
  reporterMsgs: number[];
  webMs: number[];
  masterMs: number[];
}

interface Floor {
  name: string;
  bin: string;
  /** What its nodes publish, as a share of what walrus's publish. */
  rate: number;
  rows: Map<number, FloorRow>;
}

interface FloorRow {
  areaCpu: number[];
  reporterCpu: number[];
  areaRss: number[];
  reporterRss: number[];
  areaAnon: number[];
  reporterAnon: number[];
  areaMsgs: number[];
}

/** CPU (% of a core) of each pid between two samples `elapsedS` apart. */
const cpuBetween = (before: Sample, after: Sample, elapsedS: number) => (100 * (after.cpuTicks - before.cpuTicks)) / CLK_TCK / elapsedS;

async function runSize(n: number, idleBin: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `walrus-scale-${n}-`));
  const site: ScaleSite = writeScaleSite(dir, n, await portBlock(), await portBlock());
  const procs = new Map<string, Proc>();
  const web = new Map<string, { stop(closeActive?: boolean): void }>();
  const openWeb = (r: ScaleSite["reporters"][number]) =>
    web.set(r.server, Bun.listen({ hostname: r.host, port: r.webPort, socket: { open: (s) => void s.end(), data() {} } }));
  try {
    for (const r of site.reporters) openWeb(r);
    for (const a of site.areas) procs.set(a.name, startNode(a.name, a.config));
    // Started a few at a time: dozens of processes starting at once on a small machine time
    // out each other's handshakes for a long while.
    for (const [i, r] of site.reporters.entries()) {
      procs.set(r.name, startNode(r.name, r.config));
      if (i % 5 === 4) await Bun.sleep(1000);
    }
    procs.set("idle", startProc("idle", [idleBin]));
    const zone = `www.${site.zone}`;
    const answers = () => Promise.all(site.areas.map((a) => queryA(a.dnsPort, zone, 400).catch(() => ["(no answer)"])));
    const inAnswers = async (host: string) => (await answers()).some((x) => x.includes(host));
    await until(
      "one master's assignment at every area node",
      async () => {
        const seen = await Promise.all(site.areas.map((a) => statusJson(a.metricsPort)));
        return seen.every((x) => x.assignment && x.master?.peer === seen[0]?.master?.peer);
      },
      300_000,
      500,
    );
    progress(`N=${n}: site up in ${dir}; warming up ${WARMUP_MS / 1000} s`);
    await Bun.sleep(WARMUP_MS);

    const nodes = [...site.areas, ...site.reporters];
    const pidOf = (name: string) => (procs.get(name) as Proc).proc.pid;
    const before = new Map([...procs.keys()].map((k) => [k, sample(pidOf(k))]));
    const msgsBefore = await Promise.all(nodes.map((x) => handled(x.metricsPort)));
    const t0 = performance.now();
    await Bun.sleep(WINDOW_MS);
    const msgsAfter = await Promise.all(nodes.map((x) => handled(x.metricsPort)));
    const elapsedS = (performance.now() - t0) / 1000;
    const after = new Map([...procs.keys()].map((k) => [k, sample(pidOf(k))]));
    const cpu = (name: string) => cpuBetween(before.get(name) as Sample, after.get(name) as Sample, elapsedS);
    const rss = (name: string) => after.get(name)?.rssMb ?? 0;
    const anon = (name: string) => after.get(name)?.anonMb ?? 0;
    const rate = (i: number) => ((msgsAfter[i] ?? 0) - (msgsBefore[i] ?? 0)) / elapsedS;
    const row: Row = {
      n,
      areaCpu: site.areas.map((a) => cpu(a.name)),
      reporterCpu: site.reporters.map((r) => cpu(r.name)),
      idleCpu: cpu("idle"),
      areaRss: site.areas.map((a) => rss(a.name)),
      reporterRss: site.reporters.map((r) => rss(r.name)),
      areaAnon: site.areas.map((a) => anon(a.name)),
      reporterAnon: site.reporters.map((r) => anon(r.name)),
      idleRss: rss("idle"),
      areaMsgs: site.areas.map((_, i) => rate(i)),
      reporterMsgs: site.reporters.map((_, i) => rate(site.areas.length + i)),
      webMs: [],
      masterMs: [],
    };
    progress(`N=${n}: calm window done; failover trials`);

    for (let i = 0; i < trials; i++) {
      const victim = site.reporters[(i * 7) % site.reporters.length] as ScaleSite["reporters"][number];
      if (!(await until(`${victim.server} in an answer`, () => inAnswers(victim.host), 60_000, 200).catch(() => false))) {
        progress(`N=${n} web trial ${i + 1}: ${victim.server} never in an answer; skipped`);
        continue;
      }
      await Bun.sleep(Math.random() * 1000); // at a random phase of the report interval
      const start = performance.now();
      web.get(victim.server)?.stop(true);
      const out = await until(`${victim.server} out of every answer`, async () => !(await inAnswers(victim.host)), 15_000, POLL_MS).catch(() => Infinity);
      row.webMs.push(out === Infinity ? Infinity : performance.now() - start);
      progress(`N=${n} web trial ${i + 1}/${trials}: ${ms(row.webMs.at(-1) ?? 0)} ms`);
      openWeb(victim);
    }

    const [east, ...survivors] = site.areas as [ScaleSite["areas"][number], ...ScaleSite["areas"]];
    for (let i = 0; i < trials; i++) {
      let eastPeer = "";
      const ready = await until(
        "east master everywhere",
        async () => {
          eastPeer = (await statusJson(east.metricsPort)).peer;
          return (await Promise.all(site.areas.map((a) => statusJson(a.metricsPort)))).every((s) => s.master?.peer === eastPeer && s.assignment);
        },
        60_000,
        200,
      ).catch(() => false);
      if (ready === false) {
        progress(`N=${n} master trial ${i + 1}: east never master everywhere; skipped`);
        continue;
      }
      await Bun.sleep(500 + Math.random() * 1000);
      const start = performance.now();
      await procs.get(east.name)?.kill("SIGKILL");
      const seen = await until(
        "every survivor sees another master",
        async () => (await Promise.all(survivors.map((a) => statusJson(a.metricsPort)))).every((s) => s.master && s.master.peer !== eastPeer),
        15_000,
        POLL_MS,
      ).catch(() => Infinity);
      row.masterMs.push(seen === Infinity ? Infinity : performance.now() - start);
      progress(`N=${n} master trial ${i + 1}/${trials}: ${ms(row.masterMs.at(-1) ?? 0)} ms`);
      procs.set(east.name, startNode(east.name, east.config));
    }
    return row;
  } finally {
    for (const l of web.values()) l.stop(true);
    await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runFloor(n: number, floor: Floor): Promise<FloorRow> {
  const dir = mkdtempSync(join(tmpdir(), `walrus-floor-${n}-`));
  const secretFile = join(dir, "site.secret");
  writeFileSync(secretFile, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  let site: Awaited<ReturnType<typeof startFloorSite>> | undefined;
  try {
    const { area, reporter } = publishingAt(n);
    const scaled = (p: Publishing) => (floor.rate > 0 ? p.map((x) => ({ ...x, perSecond: x.perSecond * floor.rate })) : []);
    site = await startFloorSite(floor.bin, dir, n, await portBlock(), secretFile, { area: scaled(area), reporter: scaled(reporter) });
    progress(`N=${n}: ${floor.name} up in ${dir}; warming up ${WARMUP_MS / 1000} s`);
    await Bun.sleep(WARMUP_MS);
    const procs = [...site.areas, ...site.reporters];
    const before = procs.map((p) => sample(p.proc.pid));
    const got = site.areas.map(receivedSoFar);
    const t0 = performance.now();
    await Bun.sleep(WINDOW_MS);
    const elapsedS = (performance.now() - t0) / 1000;
    const after = procs.map((p) => sample(p.proc.pid));
    const cpu = procs.map((_, i) => cpuBetween(before[i] as Sample, after[i] as Sample, elapsedS));
    const areas = site.areas.length;
    return {
      areaCpu: cpu.slice(0, areas),
      reporterCpu: cpu.slice(areas),
      areaRss: after.slice(0, areas).map((x) => x.rssMb),
      reporterRss: after.slice(areas).map((x) => x.rssMb),
      areaAnon: after.slice(0, areas).map((x) => x.anonMb),
      reporterAnon: after.slice(areas).map((x) => x.anonMb),
      areaMsgs: site.areas.map((p, i) => {
        const [a, b] = [got[i] ?? { count: 0, atMs: 0 }, receivedSoFar(p)];
        return b.atMs > a.atMs ? ((b.count - a.count) * 1000) / (b.atMs - a.atMs) : NaN;
      }),
    };
  } finally {
    await Promise.all([...(site?.areas ?? []), ...(site?.reporters ?? [])].map((p) => p.kill("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const max = (xs: number[]) => Math.max(...xs);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

const work = mkdtempSync(join(tmpdir(), "walrus-scale-"));
try {
  const idleBin = buildIdle(work);
  const programs = {
    bus: { name: "the bus alone", program: "bus-floor-node" },
    streams: { name: "libp2p streams", program: "stream-floor-node" },
    tcp: { name: "plain TCP", program: "raw-floor-node" },
  } as const;
  const floors: Floor[] = values.floors
    .split(",")
    .filter(Boolean)
    .flatMap((kind) => {
      const p = programs[kind as keyof typeof programs];
      if (!p) throw new Error(`--floors: "${kind}" is not bus, streams or tcp`);
      const bin = buildFloorNode(work, p.program);
      return values["floor-rates"]
        .split(",")
        .map((r) => ({ name: Number(r) === 1 ? p.name : `${p.name}, messages ×${r}`, bin, rate: Number(r), rows: new Map() }));
    });
  const rows: Row[] = [];
  for (const n of sizes) {
    // A size the machine cannot hold must not lose the rows already measured.
    if (!values["floors-only"])
      try {
        rows.push(await runSize(n, idleBin));
        progress(`N=${n}: done`);
      } catch (err) {
        progress(`N=${n}: failed: ${(err as Error).message}`);
      }
    for (const floor of floors) {
      try {
        floor.rows.set(n, await runFloor(n, floor));
        progress(`N=${n}: ${floor.name} done`);
      } catch (err) {
        progress(`N=${n}: ${floor.name} failed: ${(err as Error).message}`);
      }
    }
  }
  console.log(`\nbench-scale ${quick ? "(quick) " : ""}warm-up ${WARMUP_MS / 1000} s, window ${WINDOW_MS / 1000} s, ${trials} failover trials per N`);
  console.log(
    `machine: load average at the end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${navigator.hardwareConcurrency} cores`,
  );
  console.log(
    "CPU in % of one core (mean / max over nodes), RSS in MB (max; in brackets the node's own, RssAnon), messages handled per node per second (mean)",
  );
  console.log(
    "| N | area CPU | reporter CPU | idle Bun CPU | area RSS (own) | reporter RSS (own) | idle Bun RSS | area msg/s | reporter msg/s | web out p50/p99/max ms | master p50/p99/max ms |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const w = quantiles(r.webMs);
    const m = quantiles(r.masterMs);
    console.log(
      `| ${r.n} | ${f2(mean(r.areaCpu))} / ${f2(max(r.areaCpu))} | ${f2(mean(r.reporterCpu))} / ${f2(max(r.reporterCpu))} | ${f2(r.idleCpu)} | ${f1(max(r.areaRss))} (${f1(max(r.areaAnon))}) | ${f1(max(r.reporterRss))} (${f1(max(r.reporterAnon))}) | ${f1(r.idleRss)} | ${f1(mean(r.areaMsgs))} | ${f1(mean(r.reporterMsgs))} | ${ms(w.p50)}/${ms(w.p99)}/${ms(w.max)} | ${ms(m.p50)}/${ms(m.p99)}/${ms(m.max)} |`,
    );
  }
  console.log("a failover trial that did not finish within 15 s counts as Infinity");
  console.log("targets at N=48: reporter ≤ 0.5 %, area ≤ 2 %, RSS ≤ 100 MB, web out p99 ≤ 1200 ms, master p99 ≤ 1200 ms");
  console.log(
    "\nthe floors, in the same layout, each node publishing what the simulator counts for its kind and doing nothing else: the bus alone (src/net/libp2p-bus.ts: libp2p and gossipsub as walrus runs them); libp2p streams (the same connections, no gossipsub: each message signed and checked, written to a stream to each reader: scripts/lib/stream-floor-node.ts); plain TCP (each message signed and checked, each frame sealed, sent straight to its readers: scripts/lib/raw-floor-node.ts); and walrus ÷ each",
  );
  console.log(
    "| N | floor | area CPU | reporter CPU | area RSS (own) | reporter RSS (own) | area msg/s | walrus ÷ floor: area CPU | reporter CPU | area RSS |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const n of sizes)
    for (const floor of floors) {
      const f = floor.rows.get(n);
      if (!f) continue;
      const r = rows.find((x) => x.n === n);
      const ratio = (a: number[] | undefined, b: number[], of = mean) => (a ? `${f2(of(a) / of(b))}×` : "-");
      console.log(
        `| ${n} | ${floor.name} | ${f2(mean(f.areaCpu))} / ${f2(max(f.areaCpu))} | ${f2(mean(f.reporterCpu))} / ${f2(max(f.reporterCpu))} | ${f1(max(f.areaRss))} (${f1(max(f.areaAnon))}) | ${f1(max(f.reporterRss))} (${f1(max(f.reporterAnon))}) | ${f1(mean(f.areaMsgs))} | ${ratio(r?.areaCpu, f.areaCpu)} | ${ratio(r?.reporterCpu, f.reporterCpu)} | ${ratio(r?.areaRss, f.areaRss, max)} |`,
      );
    }
  console.log(`\n${simulatedCosts()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
