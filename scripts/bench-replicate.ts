// What `walrus publish` costs next to plain rsync, in the same run, on the namespace site (a
// primary and five web hosts with real sshd and nginx): wall time from the start of the command
// until every server serves the release, for a whole new tree and for a one-file change.
// Plain rsync is the same tree pushed to every host at once with `rsync -a --delete` over ssh
// (one connection each), into a directory of its own: no manifest, no verification, no switch.
//   bun scripts/bench-replicate.ts [--files 1000] [--mib 100] [--trials 3]   (root; npm run build first)
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
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

async function served(path: string): Promise<void> {
  for (const w of r.webs) await r.get(w, path);
}

try {
  const rows: { what: string; walrus: number[]; rsync: number[] }[] = [
    { what: `whole tree (${files} files, ${values.mib} MiB)`, walrus: [], rsync: [] },
    { what: "one file changed", walrus: [], rsync: [] },
  ];
  const [whole, one] = rows as [(typeof rows)[0], (typeof rows)[0]];
  for (let t = 0; t < trials; t++) {
    writeTree(); // new content: nothing to hard-link, everything crosses the wire
    // Alternate which goes first, so neither always meets a warmer page cache.
    if (t % 2 === 0) {
      whole.walrus.push(await publish());
      whole.rsync.push(await plainRsync());
    } else {
      whole.rsync.push(await plainRsync());
      whole.walrus.push(await publish());
    }
    await served(`/d0/f0.bin`);
    writeFileSync(join(docs, "d3", "f3.bin"), randomBytes(bytesPerFile));
    one.walrus.push(await publish());
    one.rsync.push(await plainRsync());
    console.log(
      `trial ${t + 1}: whole ${whole.walrus.at(-1)?.toFixed(0)} ms vs rsync ${whole.rsync.at(-1)?.toFixed(0)} ms; one file ${one.walrus.at(-1)?.toFixed(0)} ms vs rsync ${one.rsync.at(-1)?.toFixed(0)} ms`,
    );
  }
  console.log(`\nload: ${(await Bun.file("/proc/loadavg").text()).trim()} (2 cores)`);
  console.log(`publish → every server serving, 5 web hosts, median of ${trials} trials:`);
  for (const row of rows) {
    const w = median(row.walrus);
    const p = median(row.rsync);
    console.log(`  ${row.what.padEnd(36)} walrus ${(w / 1000).toFixed(2)} s   plain rsync ${(p / 1000).toFixed(2)} s   ratio ${(w / p).toFixed(2)}×`);
  }
  console.log(`  targets: whole tree within 1.2× of plain rsync; one-file change live everywhere under 3 s`);
} finally {
  await r.stop();
}
