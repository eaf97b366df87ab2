// What the compiled binary costs to start (issue 14): `walrus status` and `walrus drain` need only
// the config and the control socket, so they must not pay for evaluating libp2p, the DNS server
// and the metrics (loaded only by `walrus node`), and the bundle ships as bytecode, not source to
// parse. Measured as CPU time (user + system) of the real binary against a running node, the
// least of five calls: far steadier than wall time on a busy machine.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProc, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { needs } from "./needs.ts";

const READY = needs("cli-start", { files: [WALRUS] });

let dir: string;
let node: Proc;
let config: string;

beforeAll(async () => {
  if (!READY) return;
  dir = mkdtempSync(join(tmpdir(), "walrus-start-"));
  writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  config = join(dir, "node.toml");
  writeFileSync(
    config,
    [
      "[node]",
      'name = "east"',
      `state_dir = "${join(dir, "state")}"`,
      'listen = ["/ip4/127.0.0.1/tcp/0"]',
      "[nameserver]",
      'area = "east"',
      'listen = ["127.0.0.1:0"]',
      "[site]",
      'zone = "example.test"',
      'names = ["www"]',
      `secret_file = "${join(dir, "site.secret")}"`,
      "[site.areas.east]",
      'nameserver_addresses = ["127.0.0.1"]',
      "[site.servers.web-1]",
      'area = "east"',
      'addresses = ["192.0.2.1"]',
    ].join("\n"),
  );
  node = startProc("walrus", [WALRUS, "node", "--config", config]);
  await node.waitFor(/answering DNS/);
});

afterAll(async () => {
  await node?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.skipIf(!READY)("walrus status answers for under 80 ms of CPU (0.14 s when it loaded every module from source)", async () => {
  const cpuMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const p = Bun.spawn([WALRUS, "status", "--config", config], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    expect(out).toContain("node east");
    const usage = p.resourceUsage();
    if (usage) cpuMs.push(Number(usage.cpuTime.user + usage.cpuTime.system) / 1000);
  }
  console.log(`walrus status CPU per call: ${cpuMs.map((x) => x.toFixed(0)).join(", ")} ms`);
  expect(cpuMs.length).toBe(5);
  expect(Math.min(...cpuMs)).toBeLessThan(80);
});

test.skipIf(!READY)("SIGTERM: the node says it stops and exits 0", async () => {
  await node.kill("SIGTERM");
  expect(node.proc.exitCode).toBe(0);
  expect(node.output()).toContain('"msg":"stopping"');
});
