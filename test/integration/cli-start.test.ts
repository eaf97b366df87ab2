// What the compiled binary costs to start (issue 14): `walrus status` and `walrus drain` need only
// the config and the control socket, so they must not pay for evaluating libp2p, the DNS server
// and the metrics (loaded only by `walrus node`), and the bundle ships as bytecode, not source to
// parse. Checked by what the command-line entry loads before any command runs (the bundler's
// own record of it), which fails the moment an eager import pulls the node in; the CPU time of
// `walrus status` is printed beside it (a figure, not a verdict: it doubles on a busy machine).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, ROOT, startProc, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
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

/** Every source file the entry evaluates before a command runs: its static imports, followed through the chunks. */
function loadedAtStart(): string[] {
  const out = mkdtempSync(join(tmpdir(), "walrus-bundle-"));
  try {
    const b = Bun.spawnSync(
      [BUN, "build", join(ROOT, "src/main.ts"), "--target=bun", "--splitting", "--format=esm", `--outdir=${out}`, `--metafile=${join(out, "meta.json")}`],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    if (b.exitCode !== 0) throw new Error(`bun build: ${b.stderr.toString()}`);
    const outputs = (
      JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) as {
        outputs: Record<string, { inputs: Record<string, unknown>; imports?: { path: string; kind: string }[] }>;
      }
    ).outputs;
    const key = (path: string) => (path in outputs ? path : `./${path.split("/").pop()}`);
    const seen = new Set<string>();
    const stack = ["./main.js"];
    while (stack.length) {
      const k = stack.pop() as string;
      if (seen.has(k) || !outputs[k]) continue;
      seen.add(k);
      for (const i of outputs[k].imports ?? []) if (i.kind === "import-statement") stack.push(key(i.path));
    }
    return [...seen].flatMap((k) => Object.keys(outputs[k]?.inputs ?? {}));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test.skipIf(!READY)("the command line loads neither libp2p, the DNS code, the replicator nor the node before a command asks", () => {
  const loaded = loadedAtStart();
  expect(loaded).toContain("src/main.ts");
  expect(loaded.some((f) => f.includes("yargs"))).toBe(true);
  const heavy = loaded.filter((f) =>
    /node_modules\/(libp2p|@libp2p|@chainsafe|dns-packet|prom-client)\/|src\/(node|dns\/server|dns\/answerer|dns\/zone|replicate\/publish|dnssec\/sign)\.ts$/.test(
      f,
    ),
  );
  expect(heavy).toEqual([]);
});

test.skipIf(!READY)("walrus status answers against a running node (its CPU time printed)", async () => {
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
});

test.skipIf(!READY)("SIGTERM: the node says it stops and exits 0", async () => {
  await node.kill("SIGTERM");
  expect(node.proc.exitCode).toBe(0);
  expect(node.output()).toContain('"msg":"stopping"');
});
