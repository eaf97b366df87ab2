// Director failover benchmark in namespaces (scripts/lib/director-lab.ts), real BIND, Knot and
// PowerDNS: a web server killed (kill -9) → each backend answers without it; walrus's own area
// nameserver, run by the same nodes, is the peer measured in the same trial, so the Director's
// extra delay (its update) is the difference. Needs root.
//   bun scripts/bench-director.ts [--trials 5]
import { parseArgs } from "node:util";
import { until } from "./lib/demo-site.ts";
import { startDirectorLab } from "./lib/director-lab.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "5" } } });
const trials = Number(values.trials);
const POLL_MS = 20;
const MEASURED = ["walrus", "bind", "knot", "pdns"] as const;

const d = await startDirectorLab({ prefix: "wbdir", subnet: "10.217.18", nameservers: true });
const home = [d.addr("web-east")];
const away = [d.addr("web-west")];
/** The answer for area east from each server: walrus's own nameserver answers www itself. */
const answers = (server: (typeof MEASURED)[number]) => (server === "walrus" ? d.dig("east", "www.demo.test") : d.dig(server, "www.area-east.demo.test"));
const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);
const times: Record<string, number[]> = Object.fromEntries(MEASURED.map((m) => [m, []]));
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${(s[Math.floor((s.length - 1) / 2)] ?? 0).toFixed(0)} ms, max ${(s.at(-1) ?? 0).toFixed(0)} ms`;
};

try {
  for (const m of MEASURED) await until(`${m} to answer east's server`, async () => same(await answers(m), home), 40_000, 200);
  for (let t = 1; t <= trials; t++) {
    const killedAt = performance.now();
    await d.procs.get("web-east")?.kill("SIGKILL");
    await Promise.all(
      MEASURED.map(async (m) => {
        await until(`${m} to leave the dead server out`, async () => same(await answers(m), away), 20_000, POLL_MS);
        times[m]?.push(performance.now() - killedAt);
      }),
    );
    process.stderr.write(`trial ${t}: ${MEASURED.map((m) => `${m} ${times[m]?.at(-1)?.toFixed(0)} ms`).join(", ")}\n`);
    d.startWeb("east");
    for (const m of MEASURED) await until(`${m} to point east home again`, async () => same(await answers(m), home), 30_000, 200);
  }
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`web server killed → answers without it, ${trials} trials (load average ${load}):`);
  for (const m of MEASURED) console.log(`  ${m === "walrus" ? "walrus nameserver (peer)" : `Director → ${m}`}: ${stats(times[m] ?? [])}`);
  const extra = MEASURED.filter((m) => m !== "walrus").map((m) => (times[m] ?? []).map((x, i) => x - (times.walrus?.[i] ?? 0)));
  console.log(`  Director's extra delay over walrus answering itself: ${stats(extra.flat())}`);
} finally {
  await d.stop();
}
