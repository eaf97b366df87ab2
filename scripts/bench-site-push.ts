// Time from `walrus site push` to every area answering the new site, over ten pushes, against
// the way it was done before site documents, measured in the same run: edit every area node's
// [site] and restart the three one after another. Each change adds a record (bench-N.demo.test);
// "answering" is every area's nameserver giving that record to a real `dig` (asked every 100 ms).
//   bun scripts/bench-site-push.ts [--pushes 10]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "smol-toml";
import { digA, startNode, startWeb, until, walrus, writeSite, type Proc } from "./lib/demo-site.ts";
import { portBlock } from "./lib/ports.ts";

const { values } = parseArgs({ options: { pushes: { type: "string", default: "10" } } });
const pushes = Number(values.pushes);
const dir = mkdtempSync(join(tmpdir(), "walrus-bench-push-"));
const site = writeSite({ dir, basePort: await portBlock(), octet: 40 });
const procs = new Map<string, Proc>();
const east = site.areas[0] as (typeof site.areas)[number];
let records: { name: string; type: string; data: string }[] = [];

/** The running [site] with one record more, written as a file for push (or into a node file). */
function nextSite(n: number): Record<string, unknown> {
  const raw = parse(readFileSync(east.config, "utf8")) as { site: Record<string, unknown> };
  records = [...records, { name: `bench-${n}`, type: "A", data: `192.0.2.${n}` }];
  const { secret_file: _secret, ...table } = raw.site;
  return { ...table, records };
}

/** Waits until every area's nameserver gives bench-N to `dig` (each area asked on its own). */
const allAnswer = (n: number) =>
  Promise.all(
    site.areas.map((a) =>
      until(
        `${a.name} answering bench-${n}`,
        async () => (await digA(a.dnsPort, `bench-${n}.${site.zone}`, ["+time=1", "+tries=1"])).join() === `192.0.2.${n}`,
        60_000,
        100,
      ),
    ),
  );

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] as number;

try {
  for (const s of site.servers) procs.set(`web:${s.name}`, startWeb(s));
  await Promise.all([...procs.values()].map((p) => p.waitFor(/listening/)));
  for (const n of [...site.areas, ...site.servers]) procs.set(n.name, startNode(n.name, n.config));
  for (const a of site.areas) await until(`${a.name} answering`, async () => (await digA(a.dnsPort, `www.${site.zone}`)).length > 0, 40_000, 250);

  // Before site documents: the change written into each area node's file, each restarted in turn.
  const rolled = nextSite(1);
  const t0 = performance.now();
  for (const a of site.areas) {
    const raw = parse(readFileSync(a.config, "utf8")) as Record<string, Record<string, unknown>>;
    writeFileSync(a.config, stringify({ ...raw, site: { ...rolled, secret_file: raw.site?.secret_file } }));
    await procs.get(a.name)?.kill();
    const p = startNode(a.name, a.config);
    procs.set(a.name, p);
    await p.waitFor(/answering DNS/, 30_000);
  }
  await allAnswer(1);
  const rollMs = performance.now() - t0;

  const times: number[] = [];
  for (let i = 0; i < pushes; i++) {
    const n = i + 2;
    const file = join(dir, `site-${n}.toml`);
    writeFileSync(file, stringify({ site: nextSite(n) }));
    const start = performance.now();
    const r = await walrus(["site", "push", file, "--key", site.operatorKey as string, "--config", east.config]);
    if (r.code !== 0) throw new Error(`push ${n}: ${r.stderr}`);
    await allAnswer(n);
    times.push(performance.now() - start);
  }
  const p50 = pct(times, 50);
  console.log(
    `site push → every area answering the new site, ${times.length} pushes: p50 ${p50.toFixed(0)} ms, p90 ${pct(times, 90).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );
  console.log(`edit + restart of the three area nodes in turn (before site documents): ${rollMs.toFixed(0)} ms`);
  console.log(`ratio push p50 / restart roll: ${(p50 / rollMs).toFixed(3)}`);
} finally {
  await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
}
