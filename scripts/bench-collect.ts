// What one reporter collection costs, against real apache2 and nginx on loopback: CPU time
// (user + system, this process and the children it waited for) and wall time per collection,
// for the host figures alone and with each web source. Then, with the compiled binary and the
// default interval and counts, the time from nginx's death to PANIC and from its return to OK,
// with the death at a random point of the probe interval.
//   bun scripts/bench-collect.ts [--collections 500] [--trials 5]

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { apacheSource } from "../src/report/apache-source.ts";
import { createCollector, type CollectorOptions } from "../src/report/collect.ts";
import { httpProbe } from "../src/report/http-probe.ts";
import { nginxSource } from "../src/report/nginx-source.ts";
import { tcpProbe } from "../src/report/tcp-probe.ts";
import { startReporterNode } from "./lib/reporter-node.ts";
import { startApache, startNginx } from "./lib/web-servers.ts";

const { values } = parseArgs({ options: { collections: { type: "string", default: "500" }, trials: { type: "string", default: "5" } } });
const collections = Number(values.collections);
const trials = Number(values.trials);
const HOST = "127.0.9.3";
const TIMEOUT_MS = 800;
/** Every measured row stops after this long, however many collections it has done. */
const ROW_LIMIT_MS = 30_000;
const CLOCK_TICKS_PER_S = 100; // USER_HZ, fixed at 100 on Linux for /proc/*/stat

/** CPU µs of children this process has waited for (utime+stime are in process.cpuUsage). */
function childrenCpuUs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the comm field: state is fields[0], so cutime and cstime (fields 16 and 17 of the file) are [13] and [14].
  return ((Number(fields[13]) + Number(fields[14])) * 1_000_000) / CLOCK_TICKS_PER_S;
}

async function measure(label: string, opts: CollectorOptions): Promise<void> {
  const collector = createCollector(opts);
  for (let i = 0; i < 5; i++) await collector.collect(Date.now() - 10_000 + i * 1000); // warm up: JIT, connections, page size
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpuUs();
  const t0 = performance.now();
  let n = 0;
  let failed = 0;
  // The collector's clock is injected: a second apart per collection, as in a reporter, however fast the loop.
  let clockMs = Date.now();
  while (n < collections && performance.now() - t0 < ROW_LIMIT_MS) {
    clockMs += 1000;
    const c = await collector.collect(clockMs);
    if (c.web.state !== "up" || c.host === null || c.bypassError !== undefined) failed++;
    n++;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const childrenUs = childrenCpuUs() - children0;
  const perUs = (cpu.user + cpu.system + childrenUs) / n;
  console.log(
    `${label.padEnd(34)} n=${String(n).padStart(4)}  cpu ${(perUs / 1000).toFixed(3)} ms/collection ` +
      `(user ${(cpu.user / n / 1000).toFixed(3)}, system ${(cpu.system / n / 1000).toFixed(3)}, children ${(childrenUs / n / 1000).toFixed(3)})  ` +
      `wall ${(wallMs / n).toFixed(3)} ms  → ${((perUs / 1e6) * 100).toFixed(3)} % of a core at one per second${failed ? `  (${failed} not OK!)` : ""}`,
  );
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
  return `n=${s.length} min=${(s[0] ?? 0).toFixed(0)} p50=${q(50).toFixed(0)} max=${(s[s.length - 1] ?? 0).toFixed(0)} ms`;
};

const dir = mkdtempSync(join(tmpdir(), "walrus-bench-collect-"));
const apache = await startApache({ host: HOST, port: 49130 });
const nginx = await startNginx({ host: HOST, port: 49131 });
try {
  console.log(`CPU per collection (${collections} collections per row, one after another)`);
  const upOnly = { read: async () => ({ state: "up" as const }) };
  await measure("host only (/proc, cgroup)", { source: upOnly });
  await measure("host + apache mod_status", { source: apacheSource({ statusUrl: apache.statusUrl, timeoutMs: TIMEOUT_MS }) });
  await measure("host + nginx stub_status", { source: nginxSource({ statusUrl: nginx.statusUrl, timeoutMs: TIMEOUT_MS, capacity: 256 }) });
  await measure("host + http probe (nginx /)", {
    source: httpProbe({ url: `${nginx.base}/`, timeoutMs: TIMEOUT_MS, expectStatus: 200, expectBody: "served" }),
  });
  await measure("host + tcp probe (nginx)", { source: tcpProbe({ address: { host: HOST, port: 49131 }, timeoutMs: TIMEOUT_MS }) });
  await measure("host + nginx + bypass_command true", {
    source: nginxSource({ statusUrl: nginx.statusUrl, timeoutMs: TIMEOUT_MS, capacity: 256 }),
    bypass: { command: "true", timeoutMs: TIMEOUT_MS },
  });

  console.log(`\nwalrus node, defaults (report_interval_ms 1000, fall_count 2, rise_count 3), ${trials} trials`);
  const toPanic: number[] = [];
  const toOk: number[] = [];
  for (let i = 0; i < trials; i++) {
    // A fresh node per trial: the log holds back a sixth identical line within a minute, and
    // the status lines are what this waits on.
    const node = startReporterNode({
      dir: join(dir, `trial-${i}`),
      host: HOST,
      p2pPort: 49132,
      reporterLines: ['source = "nginx"', `status_url = "${nginx.statusUrl}"`, "capacity = 256"],
    });
    try {
      await node.statusChange("ok", 0);
      await Bun.sleep(Math.random() * 1000); // the death lands anywhere in the probe interval
      const diedAt = performance.now();
      await nginx.stop();
      toPanic.push((await node.statusChange("panic", diedAt)).atMs - diedAt);
      await Bun.sleep(Math.random() * 1000); // and the return too
      const backAt = performance.now();
      await nginx.start();
      toOk.push((await node.statusChange("ok", backAt)).atMs - backAt);
      process.stderr.write(`trial ${i + 1}: PANIC after ${toPanic.at(-1)?.toFixed(0)} ms, OK after ${toOk.at(-1)?.toFixed(0)} ms\n`);
    } finally {
      await node.stop();
    }
  }
  console.log(`death → PANIC  ${stats(toPanic)}`);
  console.log(`back  → OK     ${stats(toOk)}`);
} finally {
  await apache.remove();
  await nginx.remove();
  rmSync(dir, { recursive: true, force: true });
}
