// The batched UDP path for real: the compiled binary's `walrus dns-worker` serving recvmmsg/
// sendmmsg, fed zones over IPC as the node feeds it; a node whose worker is killed under load;
// and the loop's error branches, with errors injected around the real calls on a real socket.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "dns-packet";
import { spawn, type Subprocess } from "bun";
import { parse } from "smol-toml";
import { fuzzUdp } from "../../scripts/fuzz-dns-cases.ts";
import { startProc, until, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
import { validate } from "../../src/config/validate.ts";
import { EAGAIN, EINTR, ENOBUFS, loadLibc, type Syscalls } from "../../src/dns/libc.ts";
import { openBatchSocket } from "../../src/dns/udp-batch.ts";
import type { ServeOptions } from "../../src/dns/workers.ts";
import { needs } from "./needs.ts";

const HOST = "127.0.0.1";
const libc = loadLibc();
// Workers bind the configured port, so port 0 will not do.
const PORTS = await portBlock();
const BATCHED = typeof libc !== "string";
const BINARY = BATCHED && needs("dns-batched", { files: [WALRUS] });
const NAMES = ["www.example.test", "example.test", "ns-east.example.test", "nope.example.test", "other.test"];

function siteToml(dir: string, port: number, extra: string[] = []): string {
  return [
    "[node]",
    'name = "east"',
    `state_dir = "${join(dir, "state")}"`,
    'listen = ["/ip4/127.0.0.1/tcp/0"]',
    "[nameserver]",
    'area = "east"',
    `listen = ["${HOST}:${port}"]`,
    "workers = 1",
    ...extra,
    "[site]",
    'zone = "example.test"',
    'names = ["www"]',
    `secret_file = "${join(dir, "site.secret")}"`,
    "[site.areas.east]",
    'nameserver = "ns-east"',
    'nameserver_addresses = ["127.0.0.1"]',
    ...Array.from({ length: 40 }, (_, i) => [`[site.servers.web-${i}]`, 'area = "east"', `addresses = ["10.0.1.${i + 1}"]`]).flat(),
  ].join("\n");
}

function query(id: number, name = "www.example.test", edns = true): Buffer {
  return encode({
    type: "query",
    id,
    flags: 0,
    questions: [{ type: "A", name }],
    additionals: edns ? [{ type: "OPT", name: ".", udpPayloadSize: 1232 } as never] : [],
  });
}

/** Sends one query every `everyMs` until stopped; keeps the arrival time of every reply. */
function steadyClient(port: number, everyMs = 2) {
  const sock = dgram.createSocket("udp4");
  const replies: { at: number; msg: Buffer }[] = [];
  sock.on("message", (msg) => replies.push({ at: performance.now(), msg }));
  sock.on("error", () => {}); // ECONNREFUSED while nothing listens
  let id = 0;
  const timer = setInterval(() => sock.send(query(id++ & 0xffff), port, HOST), everyMs);
  return { replies, stop: () => (clearInterval(timer), sock.close()) };
}

/** `walrus dns-worker` started as the node starts it (src/dns/workers.ts): the site and options, then a zone. */
async function startWorker(dir: string, port: number, udpIo: string, ready: { path?: string }[]): Promise<Subprocess> {
  const v = validate(parse(siteToml(dir, port, [`udp_io = "${udpIo}"`])) as Record<string, unknown>, "node.toml", dir);
  if (!v.ok || !v.config.nameserver) throw new Error(JSON.stringify(v));
  const worker = spawn([WALRUS, "dns-worker"], {
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    serialization: "json",
    ipc: (m: { type: string; path?: string }) => void (m.type === "ready" && ready.push(m)),
  });
  const c = v.config.nameserver;
  const serve: ServeOptions = {
    area: c.area,
    listen: c.listen,
    udpSize: c.udpSize,
    rateLimit: { perSecond: c.rateLimit, ipv4Prefix: c.rateLimitIpv4Prefix, ipv6Prefix: c.rateLimitIpv6Prefix },
    udpIo: c.udpIo,
  };
  worker.send({ type: "init", site: v.config.site, serve, shared: false });
  worker.send({ type: "zone", update: { serversByArea: [["east", ["web-1"]]], serial: 1 } });
  await until("the worker is ready", () => ready.length > 0, 10_000, 20);
  return worker;
}

describe.skipIf(!BINARY)("a batched dns-worker of the compiled binary", () => {
  let dir: string;
  let port: number;
  let worker: Subprocess;
  const ready: { path?: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wdns-batch-"));
    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    port = PORTS;
    worker = await startWorker(dir, port, "batched", ready);
  });
  afterAll(() => {
    worker?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test('it serves on the batched path; told udp_io = "portable", on the portable one', async () => {
    expect(ready[0]?.path).toBe("batched");
    const told: { path?: string }[] = [];
    const portable = await startWorker(dir, PORTS + 1, "portable", told);
    portable.kill("SIGKILL");
    expect(told[0]?.path).toBe("portable");
  });

  test("the fuzzer's packets: each readable one answered sensibly", async () => {
    const r = await fuzzUdp({ host: HOST, port, seed: 1313, count: 10_000, names: NAMES, udpLimit: 1232 });
    expect(r.problems).toEqual([]);
    expect(r.replies).toBe(r.expected);
  }, 60_000);

  test("oversized and QR-set datagrams get nothing; the next query is answered", async () => {
    const sock = dgram.createSocket("udp4");
    const got: Buffer[] = [];
    sock.on("message", (m) => got.push(m));
    const qr = query(7);
    qr[2] = qr[2]! | 0x80;
    const big = Buffer.concat([query(8), Buffer.alloc(9000)]);
    for (const m of [qr, big, query(9)]) sock.send(m, port, HOST);
    await until("the last query's reply", () => got.length > 0, 5000, 10);
    await Bun.sleep(50); // anything else would have come by now, right behind it
    sock.close();
    expect(got.map((m) => decode(m).id)).toEqual([9]);
  });

  test("a large answer without EDNS is truncated (TC), with EDNS it fits", async () => {
    const ask = (edns: boolean) =>
      new Promise<Buffer>((resolve) => {
        const sock = dgram.createSocket("udp4");
        sock.on("message", (m) => (sock.close(), resolve(m)));
        sock.send(query(11, "www.example.test", edns), port, HOST);
      });
    worker.send({ type: "zone", update: { serversByArea: [["east", Array.from({ length: 40 }, (_, i) => `web-${i}`)]], serial: 2 } });
    await until("40 addresses in the answer", async () => (decode(await ask(true)).answers ?? []).length === 32, 5000, 10);
    const plain = decode(await ask(false));
    expect(plain.flag_tc).toBe(true);
  });

  test("a zone update is answered within 100 ms under a flood", async () => {
    const flood = dgram.createSocket("udp4");
    flood.on("message", () => {});
    let id = 0;
    let flooding = true;
    // Bounded: at most 20,000 queries, in bursts of 100 each millisecond or so.
    const pump = (async () => {
      while (flooding && id < 20_000) {
        for (let i = 0; i < 100; i++) flood.send(query(id++ & 0xffff), port, HOST);
        await Bun.sleep(1);
      }
    })();
    const probe = steadyClient(port, 2);
    await Bun.sleep(100);
    const sent = performance.now();
    worker.send({ type: "zone", update: { serversByArea: [["east", ["web-7"]]], serial: 3 } });
    const seen = () => probe.replies.find((r) => r.at > sent && (decode(r.msg).answers ?? []).some((a) => a.type === "A" && a.data === "10.0.1.8"));
    await until("the new address answered", () => !!seen(), 5000, 5);
    flooding = false;
    await pump;
    probe.stop();
    flood.close();
    expect(seen()!.at - sent).toBeLessThan(100);
  }, 30_000);

  test("SIGTERM ends it within 100 ms, under a flood", async () => {
    // An idle Bun process signalled at the same moment: how long this machine takes to end a
    // process of that size and let us see it, so that only the worker's own delay is judged.
    const reference = spawn([process.execPath, "-e", "console.log('up'); setInterval(() => {}, 60_000)"], { stdout: "pipe" });
    await reference.stdout.getReader().read();
    const probe = steadyClient(port, 1);
    await Bun.sleep(50);
    const sent = performance.now();
    worker.kill("SIGTERM");
    reference.kill("SIGTERM");
    const [took, referenceTook] = await Promise.all([
      worker.exited.then(() => performance.now() - sent),
      reference.exited.then(() => performance.now() - sent),
    ]);
    probe.stop();
    expect(took - referenceTook).toBeLessThan(100);
    expect(took).toBeLessThan(1000);
  });
});

describe.skipIf(!BINARY)("a node whose batched worker is killed", () => {
  let dir: string;
  let port: number;
  let node: Proc;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wdns-batchnode-"));
    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    port = PORTS + 2;
    writeFileSync(join(dir, "node.toml"), siteToml(dir, port, ['udp_io = "batched"']));
    node = startProc("walrus", [WALRUS, "node", "--config", join(dir, "node.toml")]);
    await node.waitFor(/answering DNS/);
  });
  afterAll(async () => {
    await node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const children = () =>
    Bun.spawnSync(["ps", "--ppid", String(node.proc.pid), "-o", "pid="])
      .stdout.toString()
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);

  test("kill -9 under load: UDP answers again within 1 s, the exit logged and the worker restarted", async () => {
    expect(node.output()).toContain('"udp_io":"batched"');
    const [first] = children();
    expect(first).toBeGreaterThan(0);
    const load = steadyClient(port, 2);
    await until("answers before the kill", () => load.replies.length > 20, 5000, 10);
    const killed = performance.now();
    process.kill(first!, "SIGKILL");
    await until("an answer after the kill", () => load.replies.some((r) => r.at > killed + 5), 5000, 10);
    const back = load.replies.find((r) => r.at > killed + 5)!.at - killed;
    load.stop();
    expect(back).toBeLessThan(1000);
    await node.waitFor(/a dns worker exited: restarting it.*SIGKILL/, 5000);
    await node.waitFor(/dns worker answering.*dns worker answering/s, 5000);
    expect(children().filter((p) => p !== first).length).toBe(1);
  }, 30_000);

  test("a worker that stops answering (SIGSTOP) is killed and replaced; UDP answers again", async () => {
    const [stuck] = children();
    process.kill(stuck!, "SIGSTOP");
    const stopped = performance.now();
    await until("a new worker", () => children().some((p) => p !== stuck), 10_000, 50);
    const load = steadyClient(port, 5);
    await until("answers from the new worker", () => load.replies.length > 5, 5000, 10);
    load.stop();
    // Counters are due every second; three seconds without them and the worker is replaced.
    expect(performance.now() - stopped).toBeLessThan(6000);
    expect(node.output()).toMatch(new RegExp(`"pid":${stuck},"why":"signal SIGKILL"`));
  }, 30_000);
});

describe.skipIf(!BATCHED)("the batched loop's error branches, on a real socket", () => {
  /** The real calls, with `faults` deciding per call whether to fail it (errno) or to shorten a send. */
  function faulty(sys: Syscalls, faults: { recv?: (n: number) => number | undefined; send?: (n: number) => number | "short" | undefined }) {
    let errno = 0;
    let recvCalls = 0;
    let sendCalls = 0;
    const wrapped: Syscalls = {
      ...sys,
      recvmmsg(fd, vec, count, flags) {
        const e = faults.recv?.(recvCalls++);
        if (e) return ((errno = e), -1);
        errno = 0;
        return sys.recvmmsg(fd, vec, count, flags);
      },
      sendmmsg(fd, vec, count, flags, offset) {
        const f = faults.send?.(sendCalls++);
        if (typeof f === "number") return ((errno = f), -1);
        errno = 0;
        // A partial send: the kernel took only the first of several.
        return sys.sendmmsg(fd, vec, f === "short" ? 1 : count, flags, offset);
      },
      errno: () => errno || sys.errno(),
    };
    return wrapped;
  }

  async function run(sys: Syscalls, count: number) {
    const socket = openBatchSocket(sys, HOST, 0);
    if (typeof socket === "string") throw new Error(socket);
    const errors: [string, number, number][] = [];
    const loop = socket.serve(
      (q, length, _from, out) => {
        out.set(q.subarray(0, length));
        return length;
      },
      { onError: (what, errno, lost) => errors.push([what, errno, lost]) },
    );
    const client = dgram.createSocket("udp4");
    const got = new Set<number>();
    client.on("message", (m) => got.add(m.readUInt16BE(0)));
    await new Promise<void>((resolve) => client.bind(0, HOST, resolve));
    // Windows of 50, each sent at once so they arrive as batches of several; the client (in this
    // process, beside the loop) reads between windows, so its receive buffer never overflows.
    const lost = () => errors.reduce((sum, [, , l]) => sum + l, 0);
    for (let start = 0; start < count; start += 50) {
      for (let i = start; i < Math.min(count, start + 50); i++) client.send(Buffer.from([i >> 8, i & 0xff, 1, 2, 3]), socket.port, HOST);
      await until("the window's replies", () => got.size + lost() >= Math.min(count, start + 50), 5000, 5);
    }
    client.close();
    socket.stop();
    await loop;
    return { got: got.size, errors };
  }

  test("EINTR on receive and on send is retried; a partial sendmmsg sends the rest", async () => {
    const sys = libc as Syscalls;
    const r = await run(
      faulty(sys, { recv: (n) => (n % 3 === 0 ? EINTR : undefined), send: (n) => (n % 4 === 0 ? EINTR : n % 4 === 1 ? "short" : undefined) }),
      500,
    );
    expect(r.errors).toEqual([]);
    expect(r.got).toBe(500);
  });

  test("EAGAIN or ENOBUFS on send: one short wait, then the batch's rest is dropped and counted", async () => {
    const sys = libc as Syscalls;
    // Every third send fails twice in a row (the wait does not help), with EAGAIN and ENOBUFS in turn.
    const r = await run(faulty(sys, { send: (n) => (n % 6 === 0 || n % 6 === 1 ? EAGAIN : n % 6 === 3 || n % 6 === 4 ? ENOBUFS : undefined) }), 300);
    const lost = r.errors.reduce((sum, [, , l]) => sum + l, 0);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(new Set(r.errors.map(([what, errno]) => `${what} ${errno}`))).toEqual(new Set([`sendmmsg ${EAGAIN}`, `sendmmsg ${ENOBUFS}`]));
    expect(r.got + lost).toBe(300);
  });

  test("another receive error is counted and the loop goes on", async () => {
    const sys = libc as Syscalls;
    const r = await run(faulty(sys, { recv: (n) => (n === 0 ? 9 /* EBADF */ : undefined) }), 100);
    expect(r.errors).toEqual([["recvmmsg", 9, 0]]);
    expect(r.got).toBe(100);
  });
});
