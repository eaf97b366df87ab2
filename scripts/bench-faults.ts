// Failover benchmark between hosts (network namespaces, real processes; needs root):
//   web server killed   → no area nameserver answers with it any more
//   master killed       → every surviving nameserver applies the successor's first assignment
//   master frozen       → the same, with SIGSTOP instead of kill -9
//   partition healed    → every area node agrees on one master again
// Times come from the nodes' own log timestamps (same clock), not from polling.
//   bun scripts/bench-faults.ts [--trials 20]
import { parseArgs } from "node:util";
import { until, type Proc } from "./lib/demo-site.ts";
import { startLabSite } from "./lib/lab-site.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "20" }, only: { type: "string" } } });
/** --only web,kill,freeze,heal runs a subset. */
const runs = new Set((values.only ?? "web,kill,freeze,heal").split(","));
const trials = Number(values.trials);
const AREAS = ["east", "west", "north"];
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

/** Log time (ms) of the first line after `from` (an output offset) whose JSON has msg and the given fields. */
function logTime(p: Proc | undefined, from: number, msg: string, fields: Record<string, string> = {}): number | undefined {
  for (const line of (p?.output() ?? "").slice(from).split("\n")) {
    if (!line.includes(msg)) continue;
    try {
      const rec = JSON.parse(line) as Record<string, string>;
      if (rec.msg === msg && Object.entries(fields).every(([k, v]) => rec[k] === v)) return Date.parse(rec.time as string);
    } catch {
      // a partial line: the rest arrives later
    }
  }
  return undefined;
}

function stats(name: string, xs: number[], target: string): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0).toFixed(0);
  return `${name}: n=${s.length} p50=${q(50)} ms p99=${q(99)} ms max=${q(100)} ms (target p99 ${target})`;
}

const s = await startLabSite({ prefix: "wbench", subnet: "10.211.0" });
const mastersAgree = async (m: string) => (await Promise.all(AREAS.map(async (a) => (await s.status(a)).master?.node))).every((x) => x === m);
const eastPeer = async () => (await s.status("east")).peer;
try {
  await until("east is master everywhere", () => mastersAgree("east"), 60_000, 250);
  progress("site up in namespaces");

  const web: number[] = [];
  for (let i = 0; i < (runs.has("web") ? trials : 0); i++) {
    const victim = s.site.servers[i % s.site.servers.length] as (typeof s.site.servers)[number];
    await until(`${victim.name} answered`, async () => (await s.answer(victim.area)).includes(victim.host), 30_000, 100);
    await Bun.sleep(500 + Math.random() * 1000);
    const t0 = Date.now();
    await s.procs.get(`web:${victim.name}`)?.kill("SIGKILL");
    await until(
      `${victim.name} gone from every answer`,
      async () => {
        for (const a of AREAS) if ((await s.answer(a)).includes(victim.host)) return false;
        return true;
      },
      30_000,
      20,
    );
    web.push(Date.now() - t0);
    progress(`web ${i + 1}/${trials}: ${web.at(-1)} ms`);
    await s.startWeb(victim.name).waitFor(/listening/);
  }

  const takeover = async (how: "kill" | "freeze") => {
    const out: number[] = [];
    for (let i = 0; i < trials; i++) {
      await until("east master everywhere", () => mastersAgree("east"), 60_000, 250);
      await Bun.sleep(500 + Math.random() * 1000);
      const survivors = ["west", "north"].map((n) => s.procs.get(n));
      const marks = survivors.map((p) => p?.output().length ?? 0);
      const east = s.procs.get("east");
      const t0 = Date.now();
      if (how === "kill") await east?.kill("SIGKILL");
      else east?.proc.kill("SIGSTOP");
      let done: number | undefined;
      await until(
        "survivors following the successor",
        () => {
          const times = survivors.map((p, k) => logTime(p, marks[k] ?? 0, "following the master's assignments"));
          if (times.some((t) => t === undefined)) return false;
          done = Math.max(...(times as number[]));
          return true;
        },
        30_000,
        20,
      );
      out.push((done as number) - t0);
      progress(`master ${how} ${i + 1}/${trials}: ${out.at(-1)} ms`);
      if (how === "kill") s.startNode("east");
      else east?.proc.kill("SIGCONT");
    }
    return out;
  };
  const killed = runs.has("kill") ? await takeover("kill") : [];
  const frozen = runs.has("freeze") ? await takeover("freeze") : [];

  const healed: number[] = [];
  for (let i = 0; i < (runs.has("heal") ? trials : 0); i++) {
    await until("east master everywhere", () => mastersAgree("east"), 60_000, 250);
    await s.partition(["east", "web-east-1", "web-east-2"]);
    await until("west master on its side", async () => (await s.status("north")).master?.node === "west", 30_000, 100);
    await Bun.sleep(1000);
    const marks = ["west", "north"].map((n) => s.procs.get(n)?.output().length ?? 0);
    const peer = await eastPeer();
    const t0 = Date.now();
    await s.heal();
    let done: number | undefined;
    await until(
      "one master after the heal",
      () => {
        const times = ["west", "north"].map((n, k) => logTime(s.procs.get(n), marks[k] ?? 0, "master changed", { master: peer }));
        if (times.some((t) => t === undefined)) return false;
        done = Math.max(...(times as number[]));
        return true;
      },
      30_000,
      20,
    );
    healed.push((done as number) - t0);
    progress(`partition heal ${i + 1}/${trials}: ${healed.at(-1)} ms`);
  }

  if (web.length) console.log(stats("web server killed → left out by every nameserver", web, "≤ 3000 ms"));
  if (killed.length) console.log(stats("master killed → successor's first assignment applied everywhere", killed, "≤ 2000 ms"));
  if (frozen.length) console.log(stats("master frozen → successor's first assignment applied everywhere", frozen, "≤ 3000 ms"));
  if (healed.length) console.log(stats("partition healed → one master in every view", healed, "≤ 3 heartbeat intervals = 1500 ms"));
} finally {
  await s.stop();
}
