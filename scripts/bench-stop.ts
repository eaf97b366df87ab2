// Time from SIGTERM to a nameserver node's exit with one DNS worker against a node
// without one ([nameserver] workers = 0), measured in the same run, alternately: the node's
// exit as its parent sees it, and how long the worker lives on after it. `--busy N` runs N
// busy loops meanwhile (a loaded machine, where waiting for a child costs most).
//   bun scripts/bench-stop.ts [--runs 10] [--binary dist/walrus] [--busy 0]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startProc, WALRUS, writeSingleNameserver } from "./lib/demo-site.ts";
import { portBlock } from "./lib/ports.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10" }, binary: { type: "string", default: WALRUS }, busy: { type: "string", default: "0" } },
});
const runs = Number(values.runs);
const busy = Array.from({ length: Number(values.busy) }, () => Bun.spawn([process.execPath, "-e", "for (;;) {}"]));
const port = await portBlock();
const dir = mkdtempSync(join(tmpdir(), "walrus-bench-stop-"));

/** Running: neither gone nor a zombie (an orphan's exit status waits for init to reap it). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
};

/** One node started, left to settle, then SIGTERMed: ms to its exit, and ms its workers outlived it. */
async function stopOnce(workers: number, run: number): Promise<{ exitMs: number; workersAfterMs: number }> {
  const at = join(dir, `${workers}-${run}`);
  mkdirSync(at);
  const config = writeSingleNameserver({
    dir: at,
    p2pPort: 0,
    dns: `127.0.0.1:${port}`,
    nameserver: [`workers = ${workers}`],
    servers: [["10.0.1.1"]],
  });
  const node = startProc(`node-${workers}`, [values.binary as string, "node", "--config", config]);
  await node.waitFor(/answering DNS/);
  await Bun.sleep(1000);
  const children = Bun.spawnSync(["ps", "--ppid", String(node.proc.pid), "-o", "pid="])
    .stdout.toString()
    .split("\n")
    .filter((x) => x.trim())
    .map(Number);
  if (children.length !== workers) throw new Error(`node-${workers}: ${children.length} children, expected ${workers}`);
  const sent = performance.now();
  node.proc.kill("SIGTERM");
  await node.proc.exited;
  const exited = performance.now();
  while (children.some(alive)) await Bun.sleep(1);
  if (node.proc.exitCode !== 0) throw new Error(`node-${workers} exited with ${node.proc.exitCode}: ${node.output().slice(-2000)}`);
  return { exitMs: exited - sent, workersAfterMs: performance.now() - exited };
}

const seen = new Map<number, { exitMs: number; workersAfterMs: number }[]>([
  [0, []],
  [1, []],
]);
for (let run = 0; run < runs; run++) {
  for (const workers of run % 2 ? [1, 0] : [0, 1]) seen.get(workers)?.push(await stopOnce(workers, run));
}
for (const b of busy) b.kill();
rmSync(dir, { recursive: true, force: true });

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const line = (workers: number) => {
  const r = seen.get(workers) ?? [];
  const exit = r.map((x) => x.exitMs);
  const after = r.map((x) => x.workersAfterMs);
  return `workers = ${workers}: SIGTERM → exit p50 ${pct(exit, 50).toFixed(0)} ms, max ${pct(exit, 100).toFixed(0)} ms${workers ? `; worker gone ≤ ${pct(after, 100).toFixed(0)} ms after the node` : ""}`;
};
console.log(
  `${values.binary}, ${runs} runs each, alternating, ${busy.length} busy loops (load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")})`,
);
console.log(line(0));
console.log(line(1));
const p50 = (w: number) =>
  pct(
    (seen.get(w) ?? []).map((x) => x.exitMs),
    50,
  );
console.log(`with a worker / without: ${(p50(1) / p50(0)).toFixed(2)}× at p50`);
