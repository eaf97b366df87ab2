// The replicator against real hosts: a primary and five web hosts in network namespaces, each
// with a real sshd and nginx; `walrus publish` pushes with the real rsync. Checked by HTTP and on
// each host's disk: every server switches to whole releases only, a server that refuses ssh or
// runs out of space stays on its whole previous release, rsync killed mid-transfer changes
// nothing, one publish at a time, rollback.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { until, WALRUS } from "../../scripts/lib/demo-site.ts";
import { startReplicaLab, type ReplicaLab } from "../../scripts/lib/replica-lab.ts";

setDefaultTimeout(90_000);
let r: ReplicaLab;
let docs: string;
const released: string[] = []; // ids in publish order

const idOf = (out: string) => /^release ([0-9a-f]{16}):/m.exec(out)?.[1] ?? "";
const servedBy = async (web: string) => (await r.current(web)).replace("releases/", "");

async function publish(message: string, attempts = 1) {
  const out = await r.walrus(["publish", docs, "--message", message], attempts);
  return { ...out, id: idOf(out.stdout) };
}

async function expectServing(webs: string[], id: string, index: string) {
  for (const w of webs) {
    expect(await servedBy(w)).toBe(id);
    expect(await r.get(w, "/index.html")).toBe(index);
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the replicator tests build network namespaces and run sshd: run them as root (CI does)");
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  // web5 keeps its releases on an 8 MiB tmpfs: the big release below does not fit.
  r = await startReplicaLab({ prefix: "wrepl", subnet: "10.216.0", webs: 5, smallDisk: { web: 5, mib: 8 } });
  docs = join(r.dir, "docs");
  mkdirSync(join(docs, "assets"), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(docs, "assets", `part-${i}.css`), `.p${i} { color: #${i}${i}; }\n`.repeat(50));
  writeFileSync(join(docs, "index.html"), "release one\n");
}, 90_000);

afterAll(async () => {
  await r?.stop();
});

describe("walrus publish", () => {
  test("every server switches to the release and serves its bytes; the next one sends only the change", async () => {
    const first = await publish("first");
    expect(first.code).toBe(0);
    await expectServing(r.webs, first.id, "release one\n");

    // Same size, and stamped within the same second as the first: rsync's whole-second quick
    // check alone would take it for unchanged and link the old bytes in.
    const index = join(docs, "index.html");
    const firstMs = statSync(index).mtimeMs;
    writeFileSync(index, "release two\n");
    const sameSecondMs = Math.floor(firstMs / 1000) * 1000 + (firstMs % 1000 < 500 ? 900 : 100);
    utimesSync(index, sameSecondMs / 1000, sameSecondMs / 1000);
    const second = await publish("second");
    expect(second.code).toBe(0);
    expect(second.id).not.toBe(first.id);
    await expectServing(r.webs, second.id, "release two\n");
    // Unchanged files are hard links to the previous release's, so little crosses the wire.
    const sent = [...second.stdout.matchAll(/\((\d+) bytes sent\)/g)].map((m) => Number(m[1]));
    expect(sent.length).toBe(5);
    for (const n of sent) expect(n).toBeLessThan(20_000);
    const inodes = await r.sh("web1", `stat -c %i ${r.root}/releases/${first.id}/assets/part-7.css ${r.root}/releases/${second.id}/assets/part-7.css`);
    const [a, b] = inodes.stdout.trim().split("\n");
    expect(a).toBe(b);
    released.push(first.id, second.id);
  });

  test("a server refusing ssh stays on its whole previous release and is named; a later publish brings it over", async () => {
    await r.lab.nft("web3", "table inet wrepl_cut { chain input { type filter hook input priority 0; tcp dport 22 reject with tcp reset; }\n}\n");
    writeFileSync(join(docs, "index.html"), "release three\n");
    const third = await publish("third");
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(
      new RegExp(`web3: FAILED after 1 attempt\\(s\\): ssh to ${r.lab.address("web3").replaceAll(".", "\\.")} failed.*refused; left as it was`),
    );
    expect(third.stdout).toContain("4 of 5 servers serve it; 1 stale");
    await expectServing(["web1", "web2", "web4", "web5"], third.id, "release three\n");
    await expectServing(["web3"], released[1] as string, "release two\n");

    await r.lab.run("web3", ["nft", "delete", "table", "inet", "wrepl_cut"]);
    const again = await publish("third, again");
    expect(again.code).toBe(0);
    expect(again.id).toBe(third.id);
    expect(again.stdout).toContain(`web3: ${released[1]} -> ${third.id}`);
    expect(again.stdout).toContain(`web1: already on ${third.id}`);
    await expectServing(r.webs, third.id, "release three\n");
    released.push(third.id);
  });

  test("rsync killed mid-transfer and a full disk leave current whole; a second publish meanwhile is refused", async () => {
    writeFileSync(join(docs, "big.bin"), randomBytes(12 << 20));
    writeFileSync(join(docs, "index.html"), "release four\n");
    // web1 takes 2 MB of ssh traffic, then nothing: its rsync hangs mid-transfer until killed.
    await r.lab.nft("web1", "table inet wrepl_stall { chain input { type filter hook input priority 0; tcp dport 22 quota over 2 mbytes drop; }\n}\n");
    const run = r.startWalrus(["publish", docs, "--message", "fourth"], 1);
    const stalled = async () => {
      const rules = (await r.lab.run("web1", ["nft", "list", "table", "inet", "wrepl_stall"])).stdout;
      const used = /used (\d+) (bytes|kbytes|mbytes)/.exec(rules);
      return used !== null && used[2] === "mbytes" && Number(used[1]) >= 2;
    };
    await until("web1's transfer to stall", stalled, 30_000, 100);

    const second = await r.walrus(["publish", docs]);
    expect(second.code).toBe(1);
    expect(second.stdout).toContain(`another publish is running (pid`);

    const rsync = rsyncTo(r.lab.address("web1"));
    expect(rsync.length).toBeGreaterThan(0);
    for (const pid of rsync) process.kill(pid, "SIGKILL");
    await r.lab.run("web1", ["nft", "delete", "table", "inet", "wrepl_stall"]);
    const [out, code] = await Promise.all([new Response(run.stdout).text(), run.exited]);
    expect(code).toBe(1);
    const fourth = idOf(out);
    expect(out).toMatch(new RegExp(`web1: FAILED after 1 attempt\\(s\\): rsync failed \\(killed by SIGKILL\\).*; still serving ${released[2]}`));
    expect(out).toMatch(new RegExp(`web5: FAILED after 1 attempt\\(s\\): rsync failed .*No space left on device.*; still serving ${released[2]}`));
    await expectServing(["web2", "web3", "web4"], fourth, "release four\n");
    await expectServing(["web1", "web5"], released[2] as string, "release three\n");
    // The release they serve is whole: every file as published, nothing of the new one.
    for (const w of ["web1", "web5"]) {
      expect(await r.get(w, "/assets/part-39.css")).toBe(readFileSync(join(docs, "assets", "part-39.css"), "utf8"));
      expect(r.get(w, "/big.bin")).rejects.toThrow("404");
    }
    await until("web1's staging copy removed", async () => !(await r.sh("web1", `ls -a ${r.root}/releases`)).stdout.includes(".partial-"), 15_000, 200);
    released.push(fourth);
  });

  test("rollback points every server back at the release before; servers already there stay", async () => {
    const back = await r.walrus(["rollback"]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`rolled back to ${released[2]}: 5 of 5 servers serve it`);
    expect(back.stdout).toContain(`web1: already on ${released[2]}`);
    expect(back.stdout).toContain(`web2: ${released[3]} -> ${released[2]}`);
    await expectServing(r.webs, released[2] as string, "release three\n");
    const list = await r.walrus(["releases"]);
    expect(list.stdout).toContain(`* ${released[2]}`);
    // keep_releases = 3: the first release was pruned from every server that took the fourth.
    const held = (await r.sh("web2", `ls ${r.root}/releases`)).stdout.trim().split("\n").sort();
    expect(held).toEqual([released[1], released[2], released[3]].sort() as string[]);
  });

  test("a server that does not answer holds up no other: the rest switch while it is still tried", async () => {
    rmSync(join(docs, "big.bin")); // web5's small disk takes the rest
    writeFileSync(join(docs, "index.html"), "release five\n");
    // web4 drops ssh, its kept connection's too: each try there waits for a time limit.
    await r.lab.nft("web4", "table inet wrepl_drop { chain input { type filter hook input priority 0; tcp dport 22 drop; }\n}\n");
    const others = ["web1", "web2", "web3", "web5"];
    const start = performance.now();
    const run = r.startWalrus(["publish", docs, "--message", "fifth"], 1);
    let switchedMs = 0;
    const [out, code] = await Promise.all([
      new Response(run.stdout).text(),
      run.exited,
      until(
        "the other four serving release five",
        async () => (await Promise.all(others.map((w) => r.get(w, "/index.html")))).every((b) => b === "release five\n"),
        60_000,
        100,
      ).then(() => (switchedMs = performance.now() - start)),
    ]);
    const endedMs = performance.now() - start;
    console.log(`the other four served release five after ${switchedMs.toFixed(0)} ms; the publish ended after ${endedMs.toFixed(0)} ms`);
    // A kept connection gets 10 s to answer, then a new one 10 s to connect: the others were done long before.
    expect(endedMs - switchedMs).toBeGreaterThan(5000);
    expect(code).toBe(1);
    expect(out).toMatch(/web4: FAILED after 1 attempt\(s\): ssh to [\d.]+( failed .*timed out|: no answer)/);
    expect(out).toContain("4 of 5 servers serve it; 1 stale");
    await r.lab.run("web4", ["nft", "delete", "table", "inet", "wrepl_drop"]);
    await expectServing(others, idOf(out), "release five\n");
    await expectServing(["web4"], released[2] as string, "release three\n");
  });
});

/** Pids of rsync processes on this machine pushing to `address` (started by our publish). */
function rsyncTo(address: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv[0] === "rsync" && argv.some((a) => a.includes(`@${address}:`))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
