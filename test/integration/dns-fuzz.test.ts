// Bounded fuzzing: seeded random and mutated packets over UDP and TCP, first to the answering
// code in this process (where an exception or unhandled rejection would be seen, and memory
// measured), then to the real binary. Every packet with a readable header must get a sensible
// reply; a failure prints the seed and packet index that reproduce it (scripts/fuzz-dns.ts --seed).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzTcp, fuzzUdp } from "../../scripts/fuzz-dns-cases.ts";
import { startProc, WALRUS, writeSingleNameserver, type Proc } from "../../scripts/lib/demo-site.ts";
import { queryA } from "../../scripts/lib/dns-query.ts";
import { startDnsServer, type DnsServer } from "../../src/dns/server.ts";
import { fixtureSite, fixtureZone } from "../unit/dns/site-fixture.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const PORTS = await portBlock();

const HOST = "127.0.0.1";
const SEED = Number(process.env.WALRUS_FUZZ_SEED ?? Date.now() % 1_000_000);
const NAMES = ["www.example.test", "example.test", "ns-east.example.test", "www.area-east.example.test", "nope.example.test", "other.test"];
const site = fixtureSite({ answerScheme: "cname", records: [{ name: "example.test", type: "MX", ttlSeconds: 60, data: "10 mail.example.test." }] });

describe("fuzz: the answering code in this process", () => {
  let server: DnsServer;
  const failures: unknown[] = [];
  const onRejection = (err: unknown) => failures.push(err);

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onRejection);
    const zone = fixtureZone({ site });
    server = await startDnsServer({ listen: [{ host: HOST, port: 0 }], zone: () => zone, onError: (what, err) => failures.push(`${what}: ${String(err)}`) });
    console.log(`dns fuzz seed ${SEED} (rerun with WALRUS_FUZZ_SEED=${SEED})`);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onRejection);
    await server.close();
  });

  test("UDP: 20 000 packets, each readable one answered sensibly, memory flat", async () => {
    const port = server.addresses[0]?.port ?? 0;
    const round = (seed: number) => fuzzUdp({ host: HOST, port, seed, count: 10_000, names: NAMES, udpLimit: 1232 });
    const first = await round(SEED);
    Bun.gc(true);
    const heapBefore = process.memoryUsage().heapUsed;
    const second = await round(SEED + 1);
    Bun.gc(true);
    const growthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    for (const r of [first, second]) {
      expect(r.problems).toEqual([]);
      expect(r.replies).toBe(r.expected);
      expect(r.expected).toBeGreaterThan(r.sent * 0.7);
    }
    expect(server.stats.dropped).toBe(first.sent + second.sent - first.expected - second.expected);
    expect(server.stats.responses.SERVFAIL ?? 0).toBe(0);
    expect(growthMb).toBeLessThan(8);
    expect(failures).toEqual([]);
  }, 120_000);

  test("TCP: 200 connections of 20 framed packets, split writes and cut-off frames", async () => {
    const r = await fuzzTcp({ host: HOST, port: server.addresses[0]?.port ?? 0, seed: SEED, connections: 200, perConnection: 20, names: NAMES });
    expect(r.problems).toEqual([]);
    expect(r.replies).toBe(r.expected);
    expect(failures).toEqual([]);
    expect(server.stats.tcpConnections).toBeLessThanOrEqual(1);
  }, 120_000);
});

describe("fuzz: the real binary", () => {
  let dir: string;
  let node: Proc;
  const port = PORTS;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wdns-fuzz-"));
    const config = writeSingleNameserver({
      dir,
      p2pPort: PORTS + 1,
      dns: `${HOST}:${port}`,
      site: ['answer_scheme = "cname"', 'records = [{ name = "@", type = "MX", data = "10 mail" }, { name = "mail", type = "A", data = "192.0.2.25" }]'],
      servers: [["10.0.1.1", "2001:db8::1"]],
    });
    node = startProc("walrus", [WALRUS, "node", "--config", config]);
    await node.waitFor(/answering DNS/);
  });
  afterAll(async () => {
    await node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test("10 000 UDP and 1 000 TCP packets: every readable one answered, the process unharmed", async () => {
    const udp = await fuzzUdp({ host: HOST, port, seed: SEED + 2, count: 10_000, names: NAMES, udpLimit: 1232 });
    const tcp = await fuzzTcp({ host: HOST, port, seed: SEED + 3, connections: 50, perConnection: 20, names: NAMES });
    expect([...udp.problems, ...tcp.problems]).toEqual([]);
    expect([udp.replies, tcp.replies]).toEqual([udp.expected, tcp.expected]);
    expect(node.proc.exitCode).toBeNull();
    expect(await queryA(port, "www.example.test")).toEqual(["10.0.1.1"]);
    expect(node.output()).not.toMatch(/uncaught|unhandled|"level":"error"|dns error/);
  }, 120_000);
});
