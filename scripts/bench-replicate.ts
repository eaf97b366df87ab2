// What `walrus publish` costs next to plain rsync, in the same run, on the namespace site (a
// primary and five web hosts with real sshd and nginx): wall time from the start of the command
// until every server serves the release, for a whole new tree and for a one-file change.
// Plain rsync is the same tree pushed to every host at once with `rsync -a --delete` over ssh
// (one connection each), into a directory of its own: no manifest, no verification, no switch.
// The replicator keeps its ssh connections for a while after a publish (ControlPersist): "cold"
// rows end them first, so that publish makes its connections as plain rsync does; the "kept"
// row is a publish right after another one.
//   bun scripts/bench-replicate.ts [--files 1000] [--mib 100] [--trials 3]   (root; npm run build first)
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startReplicaLab } from "./lib/replica-lab.ts";

const { values } = parseArgs({
  options: { files: { type: "string", default: "1000" }, mib: { type: "string", default: "100" }, trials: { type: "string", default: "3" } },
});
const files = Number(values.files);
const bytesPerFile = Math.floor((Number(values.mib) << 20) / files);
const trials = Number(values.trials);

const r = await startReplicaLab({ prefix: "wrbench", subnet: "10.216.7", webs: 5 });
const docs = join(r.dir, "docs");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function writeTree(): void {
  rmSync(docs, { recursive: true, force: true });
  for (let d = 0; d < 10; d++) mkdirSync(join(docs, `d${d}`), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(docs, `d${i % 10}`, `f${i}.bin`), randomBytes(bytesPerFile));
}

async function timed(what: string, run: () => Promise<{ code: number; stdout: string; stderr: string }>): Promise<number> {
  const t0 = performance.now();
  const out = await run();
  const ms = performance.now() - t0;
  if (out.code !== 0) throw new Error(`${what} failed: ${out.stdout}${out.stderr}`);
  return ms;
}

const ssh = `ssh -i ${r.dir}/id_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=${r.dir}/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes`;
const plainRsync = () =>
  timed("plain rsync", async () => {
    const runs = await Promise.all(
      r.webs.map((w) =>
        r.lab.run("primary", ["rsync", "-a", "--delete", "-e", ssh, `${docs}/`, `root@${r.lab.address(w)}:${r.root}/plain/`], { timeoutMs: 600_000 }),
      ),
    );
    return runs.find((x) => x.code !== 0) ?? { code: 0, stdout: "", stderr: "" };
  });
const publish = () => timed("walrus publish", () => r.walrus(["publish", docs]));

/** Ends the replicator's kept ssh connections (control sockets ssh-* in its state directory). */
async function endConnections(): Promise<void> {
  const state = join(r.dir, "primary-state");
  const sockets = (existsSync(state) ? readdirSync(state) : []).filter((n) => n.startsWith("ssh-"));
  await Promise.all(sockets.map((n) => r.lab.run("primary", ["ssh", "-o", `ControlPath=${join(state, n)}`, "-O", "exit", "any"])));
}

async function served(path: string): Promise<void> {
  for (const w of r.webs) await r.get(w, path);
}

try {
  const rows: { what: string; walrus: number[]; rsync: number[] }[] = [
    { what: `whole tree (${files} files, ${values.mib} MiB), cold`, walrus: [], rsync: [] },
    { what: "one file changed, connections kept", walrus: [], rsync: [] },
    { what: "one file changed, cold", walrus: [], rsync: [] },
  ];
  const [whole, kept, cold] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  const change = () => writeFileSync(join(docs, "d3", "f3.bin"), randomBytes(bytesPerFile));
  for (let t = 0; t < trials; t++) {
    writeTree(); // new content: nothing to hard-link, everything crosses the wire
    await endConnections();
    // Alternate which goes first, so neither always meets a warmer page cache.
    if (t % 2 === 0) {
      whole.walrus.push(await publish());
      whole.rsync.push(await plainRsync());
    } else {
      whole.rsync.push(await plainRsync());
      await endConnections();
      whole.walrus.push(await publish());
    }
    await served(`/d0/f0.bin`);
    change();
    kept.walrus.push(await publish());
    kept.rsync.push(await plainRsync());
    change();
    await endConnections();
    cold.walrus.push(await publish());
    cold.rsync.push(await plainRsync());
    const last = (row: (typeof rows)[0]) => `${row.walrus.at(-1)?.toFixed(0)} ms vs rsync ${row.rsync.at(-1)?.toFixed(0)} ms`;
    console.log(`trial ${t + 1}: whole ${last(whole)}; one file, kept ${last(kept)}; one file, cold ${last(cold)}`);
  }
  console.log(`\nload: ${(await Bun.file("/proc/loadavg").text()).trim()} (2 cores)`);
  console.log(`publish → every server serving, 5 web hosts, median of ${trials} trials:`);
  for (const row of rows) {
    const w = median(row.walrus);
    const p = median(row.rsync);
    console.log(`  ${row.what.padEnd(42)} walrus ${(w / 1000).toFixed(2)} s   plain rsync ${(p / 1000).toFixed(2)} s   ratio ${(w / p).toFixed(2)}×`);
  }
  console.log(`  targets: whole tree within 1.2× of plain rsync; one-file change live everywhere under 3 s`);
} finally {
  await r.stop();
}
process.exit(0); // ssh connections the replicator kept end on their own (ServerAliveInterval)
