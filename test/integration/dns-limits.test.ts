// Zone transfer to an allow list, the response-rate limit and the counters, against the real
// server on 127.0.0.1 queried by `dig`; worker processes of the real binary sharing one port.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "dns-packet";
import { parseAllowed } from "../../src/dns/config.ts";
import type { Prefix } from "../../src/geo/address.ts";
import { LATENCY_BOUNDS_US, startDnsServer, type DnsServer } from "../../src/dns/server.ts";
import { startProc, until, WALRUS, writeSingleNameserver, type Proc } from "../../scripts/lib/demo-site.ts";
import { crowdedZone, EAST_V4, fixtureZone } from "../unit/dns/site-fixture.ts";
import { needs } from "./needs.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const PORTS = await portBlock();

const DIG = needs("dns-limits", { tools: ["dig"] });
const WORKERS = needs("dns-limits: worker processes", { tools: ["dig"], files: [WALRUS] });
const HOST = "127.0.0.1";
const prefix = (s: string) => parseAllowed(s) as Prefix;

/** A single nameserver node of the binary with `workers` DNS workers, once it answers. */
async function startWithWorkers(dirPrefix: string, p2pPort: number, dns: string, workers: number): Promise<{ dir: string; node: Proc }> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const config = writeSingleNameserver({ dir, p2pPort, dns, nameserver: [`workers = ${workers}`], servers: EAST_V4.map((a) => [a]) });
  const node = startProc("walrus", [WALRUS, "node", "--config", config]);
  await node.waitFor(new RegExp(`answering DNS.*"workers":${workers}`));
  return { dir, node };
}

async function stopWithWorkers(dir: string | undefined, node: Proc | undefined): Promise<void> {
  await node?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function dig(port: number, ...args: string[]): Promise<string> {
  const proc = Bun.spawn(["dig", `@${HOST}`, "-p", String(port), "+norec", "+time=2", "+tries=1", ...args], { stdout: "pipe", stderr: "pipe" });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  return text;
}

/** Sends `count` queries from one socket and collects what comes back within `waitMs` of the last. */
async function burst(port: number, count: number, waitMs = 300): Promise<{ tc: number; answered: number; ids: Set<number> }> {
  const sock = dgram.createSocket("udp4");
  const result = { tc: 0, answered: 0, ids: new Set<number>() };
  let last = Date.now();
  sock.on("message", (msg) => {
    const p = decode(msg);
    result.ids.add(p.id ?? -1);
    if (p.flag_tc) result.tc++;
    else result.answered++;
    last = Date.now();
  });
  await new Promise<void>((resolve) => sock.bind(0, HOST, resolve));
  for (let i = 0; i < count; i++) sock.send(encode({ type: "query", id: i, questions: [{ name: "www.example.test", type: "A" }] }), port, HOST);
  last = Date.now();
  while (Date.now() - last < waitMs) await Bun.sleep(20);
  sock.close();
  return result;
}

describe.skipIf(!DIG)("dns limits", () => {
  let open: DnsServer;
  let closed: DnsServer;
  let limited: DnsServer;

  beforeAll(async () => {
    const listen = [{ host: HOST, port: 0 }];
    open = await startDnsServer({ listen, zone: () => crowdedZone(30), transferAllow: [prefix("127.0.0.0/8")] });
    closed = await startDnsServer({ listen, zone: () => fixtureZone(), transferAllow: [prefix("192.0.2.1"), prefix("::1")] });
    limited = await startDnsServer({ listen, zone: () => fixtureZone(), rateLimit: { perSecond: 10, ipv4Prefix: 24, ipv6Prefix: 56 } });
  });
  afterAll(async () => {
    await Promise.all([open.close(), closed.close(), limited.close()]);
  });

  test("AXFR over TCP to an allowed sender: SOA first and last, every record", async () => {
    const text = await dig(open.addresses[0]?.port ?? 0, "example.test", "AXFR");
    const records = text
      .split("\n")
      .filter((l) => l && !l.startsWith(";"))
      .map((l) => l.split(/\s+/));
    expect(records[0]?.[3]).toBe("SOA");
    expect(records.at(-1)?.[3]).toBe("SOA");
    expect(records.filter((r) => r[0] === "www.example.test." && r[3] === "A").length).toBe(30);
    expect(text).toContain("XFR size:");
  });

  test("AXFR refused to a sender outside the allow list, and over UDP", async () => {
    expect(await dig(closed.addresses[0]?.port ?? 0, "example.test", "AXFR")).toContain("Transfer failed");
    const sock = dgram.createSocket("udp4");
    const got = new Promise<Buffer>((resolve) => sock.once("message", resolve));
    sock.send(encode({ type: "query", id: 7, questions: [{ name: "example.test", type: "AXFR" }] }), open.addresses[0]?.port ?? 0, HOST);
    const overUdp = decode(await got);
    sock.close();
    expect([overUdp.id, (overUdp.flags ?? 0) & 0xf, overUdp.answers?.length]).toEqual([7, 5, 0]);
  });

  test("rate limit: 10 replies per second per /24, then every second query slips a TC reply, the rest dropped", async () => {
    const r = await burst(limited.addresses[0]?.port ?? 0, 50);
    expect(r.answered).toBe(10);
    expect(r.tc).toBe(20);
    expect(limited.stats.rateLimited).toBe(40);
  });

  test("rotation over the wire: each of 30 addresses leads exactly 10 times in 300 replies", async () => {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => sock.bind(0, HOST, resolve));
    const leads = new Map<string, number>();
    try {
      for (let i = 0; i < 300; i++) {
        const got = new Promise<Buffer>((resolve) => sock.once("message", resolve));
        sock.send(
          encode({
            type: "query",
            id: i,
            questions: [{ name: "www.example.test", type: "A" }],
            additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232 } as never],
          }),
          open.addresses[0]?.port ?? 0,
          HOST,
        );
        const first = decode(await got).answers?.[0];
        const lead = first && "data" in first ? String(first.data) : "none";
        leads.set(lead, (leads.get(lead) ?? 0) + 1);
      }
    } finally {
      sock.close();
    }
    expect(leads.size).toBe(30);
    expect(new Set(leads.values())).toEqual(new Set([10]));
  });

  test("counters: rcodes, types, truncation, answering time", async () => {
    const port = open.addresses[0]?.port ?? 0;
    const before = { ...open.stats, qtypes: { ...open.stats.qtypes } };
    await dig(port, "+noedns", "+ignore", "www.example.test", "A");
    await dig(port, "www.example.test", "AAAA");
    await dig(port, "nope.example.test", "MX");
    expect(open.stats.truncated - before.truncated).toBe(1);
    expect((open.stats.qtypes.A ?? 0) - (before.qtypes.A ?? 0)).toBe(1);
    expect((open.stats.qtypes.AAAA ?? 0) - (before.qtypes.AAAA ?? 0)).toBe(1);
    expect((open.stats.qtypes.MX ?? 0) - (before.qtypes.MX ?? 0)).toBe(1);
    expect(open.stats.latencyCounts.length).toBe(LATENCY_BOUNDS_US.length + 1);
    // One query in 16 is timed and stands for 16.
    const timed = open.stats.latencyCounts.reduce((a, b) => a + b, 0);
    expect(timed).toBeLessThanOrEqual(open.stats.queries);
    expect(timed).toBeGreaterThan(open.stats.queries / 2);
    expect(open.stats.responses.NXDOMAIN).toBe(1);
  });
});

describe("walrus config check", () => {
  test("warns, naming the cluster, when its full answer exceeds the UDP size", () => {
    const dir = mkdtempSync(join(tmpdir(), "wdns-check-"));
    try {
      const crowd = Array.from({ length: 80 }, (_, i) => [`[site.servers.web-${i}]`, 'area = "west"', `addresses = ["10.2.0.${i + 1}"]`]).flat();
      writeFileSync(
        join(dir, "node.toml"),
        [
          "[node]",
          'name = "east"',
          'state_dir = "state"',
          `listen = ["/ip4/127.0.0.1/tcp/${PORTS + 2}"]`,
          "[nameserver]",
          'area = "east"',
          `listen = ["127.0.0.1:${PORTS + 3}"]`,
          "[site]",
          'zone = "example.test"',
          'names = ["www"]',
          'secret_file = "site.secret"',
          "max_answer_addresses = 200",
          "[site.areas.east]",
          'nameserver_addresses = ["127.0.0.1"]',
          "[site.areas.west]",
          'nameserver_addresses = ["127.0.0.2"]',
          "[site.servers.web-east]",
          'area = "east"',
          'addresses = ["10.1.0.1"]',
          ...crowd,
        ].join("\n"),
      );
      const r = Bun.spawnSync([WALRUS, "config", "check", "--config", join(dir, "node.toml")]);
      const out = r.stdout.toString();
      expect(r.exitCode).toBe(0);
      expect(out).toContain("warning: cluster west: 80 A records make a");
      expect(out).not.toContain("cluster east");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!DIG)("both address families on one port", () => {
  test('"0.0.0.0" and "[::]" listen side by side; UDP and TCP answered on each', async () => {
    const server = await startDnsServer({
      listen: [
        { host: "0.0.0.0", port: PORTS + 5 },
        { host: "::", port: PORTS + 5 },
      ],
      zone: () => fixtureZone(),
    });
    try {
      for (const at of ["@127.0.0.1", "@::1"]) {
        for (const transport of ["+notcp", "+tcp"]) {
          const proc = Bun.spawn(["dig", at, "-p", String(PORTS + 5), "+short", "+time=2", "+tries=1", transport, "www.example.test"], { stdout: "pipe" });
          expect((await new Response(proc.stdout).text()).trim().split("\n").sort()).toEqual(EAST_V4);
        }
      }
    } finally {
      await server.close();
    }
  });
});

describe("abusive TCP clients", () => {
  let server: DnsServer;
  beforeAll(async () => {
    server = await startDnsServer({ listen: [{ host: HOST, port: 0 }], zone: () => crowdedZone(30), tcpIdleMs: 300, tcpMaxLifetimeMs: 800 });
  });
  afterAll(() => server.close());
  const connect = (to = server) =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: HOST, port: to.addresses[0]?.port ?? 0 }, () => resolve(s));
      s.once("error", reject);
    });
  const closed = (s: net.Socket) =>
    new Promise<number>((resolve) => {
      const t0 = performance.now();
      s.once("close", () => resolve(performance.now() - t0));
    });

  test("a client that pipelines queries but never reads is cut off with a reset, whatever the kernel's buffer sizes", async () => {
    // A server of its own, its lifetime and idle limits far away: only the buffer cap may cut.
    const own = await startDnsServer({ listen: [{ host: HOST, port: 0 }], zone: () => crowdedZone(30), tcpIdleMs: 30_000, tcpMaxLifetimeMs: 30_000 });
    const s = await connect(own);
    const reset = new Promise<string | undefined>((resolve) => s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code)));
    s.pause();
    const q = encode({ type: "query", id: 1, questions: [{ name: "www.example.test", type: "A" }] });
    const framed = Buffer.concat([Buffer.from([q.byteLength >> 8, q.byteLength & 0xff]), q]);
    const chunk = Buffer.concat(Array(100).fill(framed));
    const gone = closed(s);
    // Bounded: at most 16 MiB of queries or 10 s, writing only as fast as the socket drains.
    const t0 = performance.now();
    for (let sent = 0; !s.destroyed && sent < 16 << 20 && performance.now() - t0 < 10_000; sent += chunk.byteLength) {
      if (!s.write(chunk))
        await new Promise((resolve) => {
          s.once("drain", resolve);
          setTimeout(resolve, 200);
        });
    }
    expect(await gone).toBeLessThan(10_000);
    expect(await reset).toBe("ECONNRESET");
    // With the kernel's send buffer left to autotuning (tcp_wmem up to 4 MiB) this client got
    // about 20,000 replies parked before the cut; with it fixed at 64 KiB, about 2,700.
    expect(own.stats.queries).toBeLessThan(8_000);
    await until("the connection is gone", () => own.stats.tcpConnections === 0, 2_000, 25);
    await own.close();
  });

  test("a client trickling one byte at a time is closed at the connection lifetime", async () => {
    const s = await connect();
    s.on("error", () => {});
    // Well-framed queries, so the connection is cut by its lifetime and not as a framing error.
    const q = encode({ type: "query", id: 1, questions: [{ name: "www.example.test", type: "A" }] });
    const framed = Buffer.concat([Buffer.from([q.byteLength >> 8, q.byteLength & 0xff]), q]);
    let sent = 0;
    const trickle = setInterval(() => {
      const i = sent++ % framed.byteLength;
      if (!s.destroyed) s.write(framed.subarray(i, i + 1));
    }, 100);
    const ms = await closed(s);
    clearInterval(trickle);
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(3000);
  });
});

describe.skipIf(!WORKERS)("worker processes on one port", () => {
  let dir: string;
  let node: Proc;
  const port = PORTS;

  beforeAll(async () => {
    ({ dir, node } = await startWithWorkers("wdns-workers-", PORTS + 1, `${HOST}:${port}`, 2));
  });
  afterAll(() => stopWithWorkers(dir, node));

  test("the node started two dns-worker children, which answer UDP; queries from many source ports are all answered", async () => {
    const children = Bun.spawnSync(["ps", "--ppid", String(node.proc.pid), "-o", "args="]).stdout.toString();
    expect(children.match(/dns-worker/g)?.length).toBe(2);
    const answers = await Promise.all(Array.from({ length: 60 }, () => dig(port, "+short", "www.example.test")));
    for (const a of answers) expect(a.trim().split("\n").sort()).toEqual(EAST_V4);
  });

  // Workers report every second on their own; status asks them first, so it is never behind.
  // Five rounds: a status that merely waited could catch a second's report now and then.
  test("walrus status counts every query the workers answered before it, read once each time", async () => {
    const queries = () => JSON.parse(Bun.spawnSync([WALRUS, "status", "--json", "--config", join(dir, "node.toml")]).stdout.toString()).dns.queries;
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const before = queries();
      await Promise.all(Array.from({ length: 4 }, () => dig(port, "+short", "www.example.test")));
      seen.push(queries() - before);
    }
    expect(seen).toEqual([4, 4, 4, 4, 4]);
  }, 30_000);

  test("the workers go when the node stops", async () => {
    const children = Bun.spawnSync(["ps", "--ppid", String(node.proc.pid), "-o", "pid="])
      .stdout.toString()
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
    expect(children.length).toBe(2);
    await node.kill();
    const alive = () => children.filter((pid) => Bun.spawnSync(["kill", "-0", pid], { stderr: "ignore" }).exitCode === 0);
    for (let i = 0; i < 60 && alive().length > 0; i++) await Bun.sleep(50);
    expect(alive()).toEqual([]);
  });
});

describe.skipIf(!WORKERS)("a node on port 0 with a worker", () => {
  let dir: string;
  let node: Proc;

  beforeAll(async () => {
    ({ dir, node } = await startWithWorkers("wdns-port0-", PORTS + 2, `${HOST}:0`, 1));
  });
  afterAll(() => stopWithWorkers(dir, node));

  test("its worker answers UDP on the port the node drew and logged, where TCP is answered too", async () => {
    const port = Number(/"listen":"127\.0\.0\.1:(\d+)"/.exec(node.output())?.[1]);
    expect(port).toBeGreaterThan(0);
    for (const transport of ["+notcp", "+tcp"]) expect((await dig(port, transport, "+short", "www.example.test")).trim().split("\n").sort()).toEqual(EAST_V4);
  });
});
