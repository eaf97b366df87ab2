// The collector against real processes: the demo web server as a subprocess, plus tiny
// in-process servers for the failure shapes the demo cannot produce.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { apacheSource } from "../../src/report/apache-source.ts";
import { createCollector } from "../../src/report/collect.ts";

const DEMO_WEB = `${import.meta.dir}/../../scripts/demo-web.ts`;
const PROC_FIXTURES = `${import.meta.dir}/../fixtures/proc`;
const CGROUP_FIXTURES = `${import.meta.dir}/../fixtures/cgroup`;

interface DemoWeb {
  proc: Subprocess<"ignore", "pipe", "inherit">;
  base: string;
}

/** Starts the demo web server on a free port and waits for its "listening" line. */
async function startDemoWeb(name: string): Promise<DemoWeb> {
  const proc = Bun.spawn([process.execPath, DEMO_WEB, "--name", name, "--host", "127.0.0.1", "--port", "0", "--max-workers", "8"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  const deadline = Date.now() + 10_000;
  while (!out.includes("\n")) {
    if (Date.now() > deadline) throw new Error(`demo web server did not start: ${out}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`demo web server exited: ${out}`);
    out += decoder.decode(value);
  }
  reader.releaseLock();
  const match = /^listening (http:\/\/\S+) (\S+)$/m.exec(out);
  if (!match?.[1] || match[2] !== name) throw new Error(`unexpected first line: ${out}`);
  return { proc, base: match[1] };
}

/** A collector of this machine's /proc (or a fixture) and an Apache-style status page. */
const collectorFor = (statusUrl: string, timeoutMs: number, procRoot?: string, cgroupDir?: string) =>
  createCollector({
    source: apacheSource({ statusUrl, timeoutMs }),
    ...(procRoot !== undefined && { procRoot }),
    ...(cgroupDir !== undefined && { cgroupDir }),
  });

const post = (url: string) => fetch(url, { method: "POST" }).then((r) => r.text());

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("collect from the demo web server", () => {
  let web: DemoWeb;
  beforeAll(async () => {
    web = await startDemoWeb("web-test-1");
  });
  afterAll(() => web.proc.kill());

  // The last test stops the server; the others share it.
  test("sees busy workers change and hits count", async () => {
    const collector = collectorFor(`${web.base}/server-status?auto`, 2000);
    const first = await collector.collect(Date.now());
    expect(first.web).toEqual({ state: "up", stats: { hits: 0, busyWorkers: 1, maxWorkers: 8 } });

    expect(await fetch(`${web.base}/`).then((r) => r.text())).toBe("served by web-test-1\n");
    await fetch(`${web.base}/`).then((r) => r.text());
    await post(`${web.base}/demo/load?busy=6`);
    const second = await collector.collect(Date.now());
    expect(second.web).toMatchObject({ state: "up", stats: { hits: 2, busyWorkers: 6, maxWorkers: 8 } });
    // Two hits since the first reading: a positive rate over whatever time passed.
    expect(second.web.state === "up" && second.web.stats?.requestsPerSecond).toBeGreaterThan(0);
  });

  test("a malformed status page is unreadable, not down", async () => {
    const collector = collectorFor(`${web.base}/server-status?auto`, 2000);
    await post(`${web.base}/demo/broken?on=1`);
    const c = await collector.collect(Date.now());
    expect(c.web.state).toBe("unreadable");
    expect(c.web.state === "unreadable" && c.web.error).toStartWith("parse: ");
    await post(`${web.base}/demo/broken?on=0`);
    expect((await collector.collect(Date.now())).web.state).toBe("up");
  });

  test("the URL without ?auto gets HTML, reported as a parse error", async () => {
    const collector = collectorFor(`${web.base}/server-status`, 2000);
    const c = await collector.collect(Date.now());
    expect(c.web.state === "unreadable" && c.web.error).toStartWith("parse: HTML page");
  });

  test("load outside 0..max-workers is refused", async () => {
    const res = await fetch(`${web.base}/demo/load?busy=9`, { method: "POST" });
    expect(res.status).toBe(400);
  });

  test("after SIGTERM the server exits cleanly and the collector sees connection refused", async () => {
    const collector = collectorFor(`${web.base}/server-status?auto`, 2000);
    web.proc.kill("SIGTERM");
    expect(await web.proc.exited).toBe(0);
    const c = await collector.collect(Date.now());
    expect(c).toMatchObject({ web: { state: "down", error: "connection refused" } });
  });
});

describe("collect: failure shapes", () => {
  function serve(fetchHandler: (req: Request) => Response | Promise<Response>) {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: fetchHandler });
    cleanups.push(() => server.stop(true));
    return `http://127.0.0.1:${server.port}/server-status?auto`;
  }

  test("HTTP 503 is down", async () => {
    const url = serve(() => new Response("busy", { status: 503 }));
    const c = await collectorFor(url, 2000).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "down", error: "HTTP 503" } });
  });

  test("HTTP 404 is unreadable, not down", async () => {
    const url = serve(() => new Response("nope", { status: 404 }));
    const c = await collectorFor(url, 2000).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "unreadable", error: "HTTP 404" } });
  });

  test("a server that never answers times out", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => silent.stop(true));
    const url = `http://127.0.0.1:${silent.port}/server-status?auto`;
    const c = await collectorFor(url, 200).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "down", error: "timeout after 200 ms" } });
  });

  test("a page that stalls after the headers times out too", async () => {
    const url = serve(() => new Response(new ReadableStream({ start: (c) => c.enqueue("Total Accesses: 1\n") })));
    const c = await collectorFor(url, 200).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "down", error: "timeout after 200 ms" } });
  });

  test("a connection dropped mid-request is reset", async () => {
    const rude = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (s) => s.terminate() } });
    cleanups.push(() => rude.stop(true));
    const url = `http://127.0.0.1:${rude.port}/server-status?auto`;
    const c = await collectorFor(url, 2000).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "down", error: "connection reset" } });
  });

  test("a body over 64 KiB is refused", async () => {
    const url = serve(() => new Response(`Scoreboard: ${"_".repeat(70 * 1024)}\n`));
    const c = await collectorFor(url, 2000).collect(Date.now());
    expect(c).toMatchObject({ web: { state: "unreadable", error: "status page larger than 64 KiB" } });
  });
});

describe("collect: host figures", () => {
  const statusUrl = "http://127.0.0.1:1/server-status?auto"; // nothing listens on port 1

  test("this machine's /proc: nothing on the first sample, an interval on the second", async () => {
    const collector = collectorFor(statusUrl, 500);
    const t0 = Date.now();
    const first = await collector.collect(t0);
    expect(first.host).toBeNull();
    expect(first.hostError).toBe("first sample: no interval measured yet");
    await Bun.sleep(50);
    const second = await collector.collect(t0 + 50);
    expect(second.hostError).toBeUndefined();
    expect(second.host).toMatchObject({ durationMs: 50, pagedOutBytes: 0 });
    const h = second.host;
    if (h === null) throw new Error("no host figures");
    expect(h.cpus).toBeGreaterThan(0);
    expect(h.cpuUser + h.cpuSystem + h.cpuIdle).toBeCloseTo(1, 9);
    expect(h.memFreeBytes).toBeLessThanOrEqual(h.memTotalBytes);
    expect(h.runnable).toBeGreaterThanOrEqual(1); // the reader itself is running
  });

  test("fixture directories stand in for /proc", async () => {
    const collector = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/old-kernel`);
    await collector.collect(0);
    const c = await collector.collect(60_000);
    expect(c.host).toMatchObject({ durationMs: 60_000, cpus: 4, runnable: 3, blocked: 1, pagedOutBytes: 0 });
  });

  test("an unreadable or odd /proc is an error", async () => {
    const missing = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/no-such-box`);
    const m = await missing.collect(0);
    expect(m.host).toBeNull();
    expect(m.hostError).toStartWith(`cannot read ${PROC_FIXTURES}/no-such-box`);

    const odd = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/no-procs-blocked`);
    expect((await odd.collect(0)).hostError).toBe("/proc/stat: no procs_blocked line");
  });

  test("a container's cgroup limits apply when tighter than the host's", async () => {
    const collector = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/captured-t0`, `${CGROUP_FIXTURES}/container-t1`);
    await collector.collect(0);
    const c = await collector.collect(1000);
    // 512 MiB memory.max, below the fixture host's 23.5 GiB; no CPU used between two reads of one file.
    expect(c.host).toMatchObject({ memTotalBytes: 512 * 2 ** 20, memFreeBytes: 224 * 2 ** 20, cpuIdle: 1, cpus: 2 });
  });

  test("a garbled cgroup file is a host error naming the file", async () => {
    const collector = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/captured-t0`, `${CGROUP_FIXTURES}/garbled`);
    const c = await collector.collect(0);
    expect(c.host).toBeNull();
    expect(c.hostError).toBe(`cgroup ${CGROUP_FIXTURES}/garbled/cpu.max: quota is not a number: "lots"`);
  });

  test("a clock that went backwards restarts the interval", async () => {
    const collector = collectorFor(statusUrl, 500, `${PROC_FIXTURES}/single-cpu`);
    await collector.collect(10_000);
    expect((await collector.collect(5_000)).hostError).toBe("clock did not move forward: interval restarted");
    expect((await collector.collect(8_000)).host?.durationMs).toBe(3_000);
  });
});
