// The demo as a newcomer starts it (`bun scripts/demo.ts`, what `npm run demo` runs after the
// build), checked only through what it prints and over HTTP and DNS: every one of its six web
// servers serves the first release; a publish of a changed tree reaches all six; a server whose
// sshd is stopped (kill -STOP, the pid the demo prints; its sessions ended) during a publish is
// stale, left out of its area's answers after the grace, and back on the current release once it
// runs again.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, digA, ROOT, startProc, until, walrus, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
import type { StatusReport } from "../../src/ops/status.ts";
import { needs } from "./needs.ts";

setDefaultTimeout(120_000);
const READY = needs("demo-publish", { tools: ["dig", "sshd", "ssh", "ssh-keygen", "rsync"], files: [WALRUS] });

describe.skipIf(!READY)("the demo publishes", () => {
  let demo: Proc;
  let dir: string;
  let docs: string;
  let webs: string[];
  let stopped: { pid: number; server: string; host: string; url: string };
  let east: { config: string; dnsPort: number };

  const served = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok ? r.text() : `HTTP ${r.status}`;
  };
  const allServe = async (bytes: string) => (await Promise.all(webs.map(served))).every((b) => b === bytes);
  const answer = async () => (await digA(east.dnsPort, "www.demo.test")).sort();

  async function status(): Promise<StatusReport> {
    const s = await walrus(["status", "--json", "--config", east.config]);
    if (s.code !== 0) throw new Error(`walrus status: ${s.stderr}`);
    return JSON.parse(s.stdout) as StatusReport;
  }

  /** What east sees of the stopped server, and the demo's last words: said when a wait below times out. */
  const explain = (stoppedServer: string) => async (err: unknown) => {
    const st = await status().catch(() => undefined);
    const v = st?.servers.find((s) => s.name === stoppedServer);
    throw new Error(
      `${(err as Error).message}; east sees master ${st?.master?.node}, assignment ${JSON.stringify(st?.assignment)}, ${stoppedServer} ${JSON.stringify(v)}, answers ${(await answer().catch(() => [])).join()}; the demo's output ends:\n${demo.output().slice(-3000)}`,
    );
  };

  /** As the demo says: its sshd stopped and the sessions it holds open ended (`pkill -P`), or continued. */
  function signalSshd(signal: "SIGSTOP" | "SIGCONT") {
    process.kill(stopped.pid, signal);
    if (signal === "SIGSTOP") Bun.spawnSync(["pkill", "-P", String(stopped.pid)]);
  }

  /** Writes a new front page and publishes the tree as the demo says to; returns the page and the CLI's result. */
  async function publishPage(text: string) {
    const page = `<h1>${text}</h1>\n`;
    writeFileSync(join(docs, "index.html"), page);
    // A resync may hold the lock (a report still in flight when the last publish ended): the
    // publish waits for it, as it says.
    const run = await walrus(["publish", docs, "--message", text, "--config", east.config]);
    return { page, run };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "walrus-demo-"));
    demo = startProc("demo", [BUN, join(ROOT, "scripts/demo.ts"), "--dir", dir, "--base-port", String(await portBlock())]);
    await demo.waitFor(/Ctrl-C stops everything/, 90_000);
    const out = demo.output();
    const servers = [...out.matchAll(/^ {2}curl (http:\/\/([\d.]+):\d+\/) +# (\S+)$/gm)].map((m) => ({
      url: m[1] as string,
      host: m[2] as string,
      name: m[3],
    }));
    const stop = /kill -STOP (\d+); pkill -P \d+ +# sshd of ([^,\s]+)/.exec(out);
    const dig = /dig @127\.0\.0\.1 -p (\d+) www\.demo\.test \+short +# area east/.exec(out);
    const config = /walrus status --config (\S+east\.toml)/.exec(out);
    const docsDir = /walrus publish (\S+) --message/.exec(out);
    const server = servers.find((s) => s.name === stop?.[2]);
    if (servers.length !== 6 || !stop || !server || !dig || !config || !docsDir) throw new Error(`the demo did not print what to try:\n${out}`);
    webs = servers.map((s) => s.url);
    stopped = { pid: Number(stop[1]), server: server.name as string, host: server.host, url: server.url };
    east = { config: config[1] as string, dnsPort: Number(dig[1]) };
    docs = docsDir[1] as string;
  }, 120_000);

  afterAll(async () => {
    if (stopped) signalSshd("SIGCONT");
    await demo?.kill("SIGINT");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("every one of the demo's six web servers serves the first release", async () => {
    const first = readFileSync(join(docs, "index.html"), "utf8");
    expect(first).toContain("the first release");
    expect(await Promise.all(webs.map(served))).toEqual(webs.map(() => first));
  });

  test("a publish of a changed tree reaches all six", async () => {
    const start = performance.now();
    const { page, run } = await publishPage("second release");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/6 of 6 servers serve it/);
    await until("all six serving the second release", () => allServe(page), 10_000, 100);
    console.log(`publish -> all six serving: ${Math.round(performance.now() - start)} ms`);
  });

  test("a server whose sshd is stopped during a publish is stale, left out after the grace, and back after it runs again", async () => {
    expect(stopped.server).toBe("web-east-1");
    const before = await served(stopped.url);
    // East answers its own two servers (a loaded machine may have it elsewhere for a moment).
    let own: string[] = [];
    await until(
      "east answering its own servers",
      async () => {
        own = await answer();
        return own.length === 2 && own.includes(stopped.host) && own.every((h) => h.startsWith("127.0.0.1"));
      },
      30_000,
      250,
    );
    // The sshd stopped, the sessions it holds open ended: the replicator keeps its connections (ControlPersist).
    signalSshd("SIGSTOP");
    const { page, run } = await publishPage("third release");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/web-east-1: FAILED after 2 attempt\(s\): ssh to 127\.0\.0\.11: no answer within 4000 ms/);
    expect(run.stdout).toMatch(/5 of 6 servers serve it; 1 stale/);
    await until("web-east-1 stale in walrus status", async () => {
      const v = (await status()).servers.find((s) => s.name === stopped.server);
      return v?.stale === true && /stale: release [0-9a-f]{8}, current [0-9a-f]{8}/.test(v.reason);
    }).catch(explain(stopped.server));
    // Its page is still the whole previous release; after the grace (5 s) east answers without it.
    expect(await served(stopped.url)).toBe(before);
    const others = own.filter((h) => h !== stopped.host).join();
    await until("web-east-1 out of east's answers", async () => (await answer()).join() === others, 20_000, 250).catch(explain(stopped.server));
    signalSshd("SIGCONT");
    await until("web-east-1 back on the current release and in east's answers", async () => (await answer()).join() === own.join(), 60_000, 250);
    expect(await allServe(page)).toBe(true);
    expect((await status()).servers.find((s) => s.name === stopped.server)?.stale).toBe(false);
  });
});
