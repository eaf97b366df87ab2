// The reporter's collector and special-reply rules against real apache2 and nginx processes:
// bounded slow load makes busy workers and the load figure rise and fall; a stopped server
// PANICs after fall_count probes and recovers after rise_count, while one that is down for
// single probes never does; a cut-off status page served
// by the real server is TEMPFAIL with its reason. Every probe is one collect() call, so the
// counts are exact and no test waits on a timer.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadFigure } from "../../src/assign/load.ts";
import { LOAD_TERMS, type ReportStatus, type WebStats } from "../../src/core/types.ts";
import { apacheSource } from "../../src/report/apache-source.ts";
import { createCollector, type Collector } from "../../src/report/collect.ts";
import { nginxSource } from "../../src/report/nginx-source.ts";
import { initialVerdict, judge, type Verdict, type VerdictRules } from "../../src/report/verdict.ts";
import type { WebSource } from "../../src/report/web-source.ts";
import { APACHE_WORKERS, startApache, startNginx, type WebServer } from "../../scripts/lib/web-servers.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const PORTS = await portBlock();

const HOST = "127.0.9.2";
const BACKEND_PORT = PORTS + 2;
const RULES: VerdictRules = { fallCount: 2, riseCount: 3 };
const TIMEOUT_MS = 1000;
/** Concurrent slow requests held open at once: bounded, and below the 16 workers or connections. */
const HELD = 12;
const CAPACITY = 16;
const LOAD_DEADLINE_MS = 20_000;

/** A backend that holds every /slow request until released: load that lasts exactly as long as the test wants. */
function slowBackend() {
  let held = 0;
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  let onHeld: ((n: number) => void) | undefined;
  const server = Bun.serve({
    hostname: HOST,
    port: BACKEND_PORT,
    idleTimeout: 60,
    async fetch() {
      held++;
      onHeld?.(held);
      await gate;
      held--;
      return new Response("slow done\n");
    },
  });
  return {
    /** Resolves once `n` requests are being held. */
    holding: (n: number) =>
      new Promise<void>((resolve, reject) => {
        if (held >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`only ${held} of ${n} slow requests arrived`)), LOAD_DEADLINE_MS);
        onHeld = (count) => {
          if (count < n) return;
          clearTimeout(timer);
          onHeld = undefined;
          resolve();
        };
      }),
    release() {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
    stop: () => server.stop(true),
  };
}

interface Kind {
  name: "apache" | "nginx";
  port: number;
  start: typeof startApache;
  source: (statusUrl: string) => WebSource;
}

const KINDS: Kind[] = [
  { name: "apache", port: PORTS, start: startApache, source: (statusUrl) => apacheSource({ statusUrl, timeoutMs: TIMEOUT_MS }) },
  { name: "nginx", port: PORTS + 1, start: startNginx, source: (statusUrl) => nginxSource({ statusUrl, timeoutMs: TIMEOUT_MS, capacity: CAPACITY }) },
];

/** A reporter's loop without its timer: each call is one probe, judged like the role does. */
function prober(collector: Collector) {
  let memory = initialVerdict();
  let clockMs = Date.now();
  return async (): Promise<Verdict & { web?: WebStats }> => {
    clockMs = Math.max(clockMs + 1, Date.now()); // the host interval needs time to move forward
    const c = await collector.collect(clockMs);
    const v = judge(memory, c, RULES);
    memory = v.memory;
    return { ...v, ...(c.web.state === "up" && c.web.stats && { web: c.web.stats }) };
  };
}

const workersLoad = (web: WebStats | undefined) => (web ? loadFigure({ web }, ["workers"]) : undefined);

const backend = slowBackend();
afterAll(() => backend.stop());

describe.each(KINDS)("$name", (kind) => {
  let server: WebServer;
  beforeAll(async () => {
    server = await kind.start({ host: HOST, port: kind.port, backend: `http://${HOST}:${BACKEND_PORT}` });
  });
  afterAll(() => server?.remove());

  test("bounded slow load: busy workers and the load figure rise, then fall when it stops", async () => {
    const probe = prober(createCollector({ source: kind.source(server.statusUrl) }));
    await probe(); // the first probe only starts the host interval
    const idle = await probe();
    expect(idle.status).toBe("ok");
    const max = kind.name === "apache" ? APACHE_WORKERS : CAPACITY;
    expect(idle.web?.maxWorkers).toBe(max);
    expect(idle.web?.busyWorkers).toBeLessThanOrEqual(2);

    const requests = Array.from({ length: HELD }, () =>
      fetch(`${server.base}/slow`, { signal: AbortSignal.timeout(LOAD_DEADLINE_MS), headers: { connection: "close" } }).then((r) => r.text()),
    );
    await backend.holding(HELD);
    const loaded = await probe();
    // Every held request occupies an Apache worker or an nginx connection; the probe adds its own.
    expect(loaded.web?.busyWorkers).toBeGreaterThanOrEqual(HELD);
    expect(workersLoad(loaded.web)).toBeGreaterThanOrEqual(HELD / max);
    expect(loadFigure({ web: loaded.web }, LOAD_TERMS)).toBeGreaterThanOrEqual(HELD / max);
    if (kind.name === "nginx") expect(loaded.web?.writing).toBeGreaterThanOrEqual(HELD);

    backend.release();
    expect(await Promise.all(requests)).toEqual(Array(HELD).fill("slow done\n"));
    // Workers finish closing a moment after the replies are out: probe until they are free, bounded.
    let after = await probe();
    for (let i = 0; i < 50 && (after.web?.busyWorkers ?? Infinity) > 2; i++) after = await probe();
    expect(after.web?.busyWorkers).toBeLessThanOrEqual(2);
    expect(workersLoad(after.web)).toBeLessThanOrEqual(2 / max);
    // The requests were counted: hits over the interval gave a rate along the way.
    expect(after.web?.hits).toBeGreaterThanOrEqual((idle.web?.hits ?? Infinity) + HELD);
    expect(after.status).toBe("ok");
  }, 60_000);

  test("stopped: PANIC after fall_count probes with the reason; back: OK after rise_count good probes", async () => {
    const probe = prober(createCollector({ source: kind.source(server.statusUrl) }));
    await probe();
    expect((await probe()).status).toBe("ok");

    await server.stop();
    const falling = [await probe(), await probe(), await probe()];
    expect(falling.map((v) => [v.status, v.reason])).toEqual([
      ["tempfail", "web: connection refused (1/2 failed probes)"],
      ["panic", "web server down: connection refused"],
      ["panic", "web server down: connection refused"],
    ]);

    await server.start();
    const rising: ReportStatus[] = [];
    for (let i = 0; i < RULES.riseCount; i++) rising.push((await probe()).status);
    expect(rising).toEqual(["panic", "panic", "ok"]);
  }, 60_000);

  test("down for one probe at a time, up for the next: never PANIC, so no area moves", async () => {
    const probe = prober(createCollector({ source: kind.source(server.statusUrl) }));
    await probe();
    const seen: ReportStatus[] = [];
    for (let i = 0; i < 3; i++) {
      await server.stop();
      seen.push((await probe()).status);
      await server.start();
      seen.push((await probe()).status);
    }
    expect(seen).toEqual(["tempfail", "ok", "tempfail", "ok", "tempfail", "ok"]);
  }, 60_000);

  test("a cut-off status page from the real server is TEMPFAIL with the reason, probe after probe", async () => {
    const probe = prober(createCollector({ source: kind.source(server.brokenStatusUrl) }));
    const verdicts = [await probe(), await probe(), await probe(), await probe()];
    expect(verdicts.map((v) => v.status)).toEqual(["tempfail", "tempfail", "tempfail", "tempfail"]);
    expect(verdicts[3]?.reason).toBe("web: parse: truncated page (last line unfinished)");
  });
});
