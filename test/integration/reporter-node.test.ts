// The reporter role end to end: the compiled walrus binary measuring a real nginx with the
// default probe interval (1 s), fall_count (2) and rise_count (3). Stopping nginx must PANIC
// within fall_count intervals plus a probe's timeout; starting it again must clear after
// rise_count good probes. The measured times are printed for the record.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { walrus } from "../../scripts/lib/demo-site.ts";
import { startReporterNode, SERVER, type ReporterNode } from "../../scripts/lib/reporter-node.ts";
import { startNginx, type WebServer } from "../../scripts/lib/web-servers.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const PORTS = await portBlock();

const HOST = "127.0.9.4";
const INTERVAL_MS = 1000;
const FALL = 2;
const RISE = 3;
const TIMEOUT_MS = 800;
/** Scheduling slack on a shared two-core machine: timers fire late, never early. */
const SLACK_MS = 1500;
/** Probes are an interval apart, but a late tick can be followed by one on time. */
const EARLY_MS = 750;

let dir: string;
let nginx: WebServer;
let node: ReporterNode;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "walrus-reporter-node-"));
  nginx = await startNginx({ host: HOST, port: PORTS });
  node = startReporterNode({ dir, host: HOST, p2pPort: PORTS + 1, reporterLines: ['source = "nginx"', `status_url = "${nginx.statusUrl}"`, "capacity = 256"] });
});
afterAll(async () => {
  await node?.stop();
  await nginx?.remove();
  rmSync(dir, { recursive: true, force: true });
});

test("nginx stopped: PANIC within fall_count probes; back: OK after rise_count", async () => {
  await node.statusChange("ok", 0);

  const diedAt = performance.now();
  await nginx.stop();
  const panic = await node.statusChange("panic", diedAt);
  const toPanicMs = panic.atMs - diedAt;
  expect(panic.reason).toBe("web server down: connection refused");
  // One failed probe is not enough: the first said TEMPFAIL, counting.
  const first = await node.statusChange("tempfail", diedAt);
  expect(first.reason).toBe(`web: connection refused (1/${FALL} failed probes)`);
  expect(first.atMs).toBeLessThanOrEqual(panic.atMs);
  // The death lands somewhere in an interval; fall_count probes later it is PANIC.
  expect(toPanicMs).toBeLessThan(FALL * INTERVAL_MS + TIMEOUT_MS + SLACK_MS);

  const status = JSON.parse((await walrus(["status", "--json", "--config", node.config])).stdout) as {
    servers: { name: string; state: string; reason?: string }[];
  };
  expect(status.servers.find((s) => s.name === SERVER)).toMatchObject({ state: "panic", reason: "web server down: connection refused" });

  const backAt = performance.now();
  await nginx.start();
  const ok = await node.statusChange("ok", backAt);
  const toOkMs = ok.atMs - backAt;
  // rise_count good probes, the first of them at most an interval after the return.
  expect(toOkMs).toBeGreaterThan((RISE - 1) * INTERVAL_MS - EARLY_MS);
  expect(toOkMs).toBeLessThan(RISE * INTERVAL_MS + SLACK_MS);
  console.log(
    `reporter defaults (interval ${INTERVAL_MS} ms, fall ${FALL}, rise ${RISE}): nginx death → PANIC ${toPanicMs.toFixed(0)} ms; back → OK ${toOkMs.toFixed(0)} ms`,
  );
}, 60_000);
