// Cost of one controller round for a large site: server states from reports, the four phases,
// and encoding the assignment message. Target (issue 5): ≤ 20 ms for 1,000 areas and 10,000
// servers.   bun scripts/bench-decide.ts [--areas 1000] [--servers 10000] [--rounds 50]
import { parseArgs } from "node:util";
import { decide } from "../src/assign/decide.ts";
import { recordReport, serverViews, type ReportRecord } from "../src/assign/server-view.ts";
import { areaName, peerIdText, serverName, type AreaName, type ServerName, type ServerSpec } from "../src/core/types.ts";
import { encode, LIMITS } from "../src/net/messages.ts";
import { seededRandom } from "../src/sim/prng.ts";

const { values } = parseArgs({
  options: { areas: { type: "string", default: "1000" }, servers: { type: "string", default: "10000" }, rounds: { type: "string", default: "50" } },
});
const nAreas = Number(values.areas);
const nServers = Number(values.servers);
const random = seededRandom(1);
const areas = Array.from({ length: nAreas }, (_, i) => areaName(`area-${i}`));
const specs: ServerSpec[] = Array.from({ length: nServers }, (_, i) => ({
  name: serverName(`web-${i}`),
  area: areas[i % nAreas] as AreaName,
  addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
}));
const peer = peerIdText("bench");
const records = new Map<ServerName, ReportRecord>();
const now = 1_000_000;
for (const s of specs) {
  const r = random();
  const status = r < 0.02 ? "panic" : r < 0.03 ? "bypass" : "ok";
  records.set(
    s.name,
    recordReport(
      undefined,
      { server: s.name, seq: 1, atMs: now, status, web: { hits: 1, busyWorkers: Math.floor(random() * 100), maxWorkers: 100 } },
      peer,
      now,
      { loadTerms: ["workers"], loadThreshold: 0.8, loadHysteresis: 0.1 },
    ),
  );
}
const previous = new Map<AreaName, AreaName>(areas.map((a, i) => [a, random() < 0.1 ? (areas[(i + 1) % nAreas] as AreaName) : a]));

const times: number[] = [];
let bytes = 0;
const WARMUP_ROUNDS = 5; // the first rounds pay for JIT compilation
for (let round = 0; round < Number(values.rounds) + WARMUP_ROUNDS; round++) {
  const t0 = performance.now();
  const servers = serverViews(specs, records, new Map(), () => true, now, { loadTerms: ["workers"], deadAfterMs: 5000, tempfailReuseMs: 5000 });
  const d = decide({ areas, servers, previous, threshold: 0.8, margin: 0.2, cooling: new Set() });
  const msg = encode({ type: "assignment", site: "bench", assignment: { master: peer, epoch: 1, seq: round, atMs: now, areas: d.areas } });
  if (round >= WARMUP_ROUNDS) times.push(performance.now() - t0);
  bytes = msg.byteLength;
}
times.sort((a, b) => a - b);
const q = (p: number) => (times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] as number).toFixed(2);
console.log(
  `one controller round, ${nAreas} areas × ${nServers} servers: p50 ${q(50)} ms, p99 ${q(99)} ms (target ≤ 20 ms); assignment message ${(bytes / 1024).toFixed(0)} KiB (limit ${LIMITS.bytes / 1024} KiB)`,
);
