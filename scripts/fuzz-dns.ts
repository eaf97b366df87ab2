// The long fuzz run: `bun scripts/fuzz-dns.ts [--count 10000000] [--seed N]` sends seeded random
// and mutated packets to a real `dist/walrus node` over UDP (and 1 % as many over TCP), checks
// every reply, and prints progress, the server's memory and any problem with the seed and packet
// index that reproduce it. Exits 1 on any problem.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fuzzTcp, fuzzUdp } from "./fuzz-dns-cases.ts";
import { startProc, WALRUS, writeSingleNameserver } from "./lib/demo-site.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000000" }, seed: { type: "string" } } });
const COUNT = Math.min(1e9, Math.max(1, Number(values.count)));
const SEED = Number(values.seed ?? Date.now() % 1_000_000);
const CHUNK = 100_000;
const HOST = "127.0.0.1";
const PORT = 49240;
const NAMES = [
  "www.example.test",
  "example.test",
  "ns-east.example.test",
  "www.area-east.example.test",
  "mail.example.test",
  "nope.example.test",
  "other.test",
];

const dir = mkdtempSync(join(tmpdir(), "wdns-fuzz-run-"));
const config = writeSingleNameserver({
  dir,
  p2pPort: PORT + 1,
  dns: `${HOST}:${PORT}`,
  site: [
    'answer_scheme = "cname"',
    'records = [{ name = "@", type = "MX", data = "10 mail" }, { name = "mail", type = "A", data = "192.0.2.25" }, { name = "@", type = "TXT", data = "fuzz" }]',
  ],
  servers: [["10.0.1.1", "2001:db8::1"], ["10.0.1.2"]],
});
const node = startProc("walrus", [WALRUS, "node", "--config", config]);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.proc.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

let code = 0;
try {
  await node.waitFor(/answering DNS/);
  console.log(`fuzzing walrus (pid ${node.proc.pid}) with ${COUNT.toLocaleString("en-US")} UDP packets, seed ${SEED}; RSS ${rssMb().toFixed(1)} MB`);
  const totals = { sent: 0, expected: 0, replies: 0, tcpSent: 0, problems: [] as string[] };
  const started = performance.now();
  for (let chunk = 0; chunk * CHUNK < COUNT && totals.problems.length === 0; chunk++) {
    const udp = await fuzzUdp({ host: HOST, port: PORT, seed: SEED + chunk, count: Math.min(CHUNK, COUNT - chunk * CHUNK), names: NAMES, udpLimit: 1232 });
    const tcp = await fuzzTcp({
      host: HOST,
      port: PORT,
      seed: SEED + chunk,
      connections: 50,
      perConnection: Math.max(1, Math.round(udp.sent / 100 / 50)),
      names: NAMES,
    });
    totals.sent += udp.sent;
    totals.expected += udp.expected + tcp.expected;
    totals.replies += udp.replies + tcp.replies;
    totals.tcpSent += tcp.sent;
    totals.problems.push(...udp.problems, ...tcp.problems);
    if (node.proc.exitCode !== null) totals.problems.push(`walrus exited with ${node.proc.exitCode}`);
    const s = (performance.now() - started) / 1000;
    console.log(
      `${totals.sent.toLocaleString("en-US")} UDP + ${totals.tcpSent.toLocaleString("en-US")} TCP packets, ${totals.replies.toLocaleString("en-US")}/${totals.expected.toLocaleString("en-US")} replies, ${(totals.sent / s).toFixed(0)} pkt/s, server RSS ${rssMb().toFixed(1)} MB`,
    );
  }
  if (/uncaught|unhandled|"level":"error"|dns error/.test(node.output())) totals.problems.push(`walrus logged a failure:\n${node.output().slice(-2000)}`);
  console.log(
    totals.problems.length === 0
      ? `done: ${(totals.sent + totals.tcpSent).toLocaleString("en-US")} packets, every readable one answered sensibly, no crash`
      : `PROBLEMS (seed ${SEED}):\n${totals.problems.slice(0, 20).join("\n")}`,
  );
  code = totals.problems.length === 0 ? 0 : 1;
} finally {
  await node.kill();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
