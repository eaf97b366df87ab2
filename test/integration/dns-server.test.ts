// The real server on 127.0.0.1, queried by the real `dig` and by raw sockets.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import net from "node:net";
import { decode, encode, type DecodedPacket } from "dns-packet";
import { startDnsServer, type DnsServer } from "../../src/dns/server.ts";
import { crowdedZone, EAST_V4, fixtureZone } from "../unit/dns/site-fixture.ts";
import { needs } from "./needs.ts";
import { until } from "../../scripts/lib/demo-site.ts";

const DIG = needs("dns-server", { tools: ["dig"] });

const HOST = "127.0.0.1";

interface DigResult {
  status: string;
  flags: string[];
  answers: string[][];
  text: string;
}

async function dig(port: number, ...args: string[]): Promise<DigResult> {
  const proc = Bun.spawn(["dig", `@${HOST}`, "-p", String(port), "+norec", "+time=2", "+tries=1", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  return {
    status: /status: (\w+)/.exec(text)?.[1] ?? "none",
    flags: (/;; flags: ([^;]*);/.exec(text)?.[1] ?? "").trim().split(/\s+/),
    answers: section(text, "ANSWER"),
    text,
  };
}

/** Records of one section of dig's (last) reply, as whitespace-split fields. */
function section(text: string, name: string): string[][] {
  const start = text.lastIndexOf(`;; ${name} SECTION:\n`);
  if (start < 0) return [];
  const body = text.slice(start).split("\n\n")[0] ?? "";
  return body
    .split("\n")
    .slice(1)
    .map((line) => line.split(/\s+/));
}

const frame = (m: Uint8Array) => Buffer.concat([Buffer.from([m.byteLength >> 8, m.byteLength & 0xff]), m]);
const queryFor = (name: string, id: number) => encode({ type: "query", id, questions: [{ name, type: "A" }] });

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with the time from now until the peer closes the connection. */
function closedAfter(socket: net.Socket): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => socket.once("close", () => resolve(performance.now() - start)));
}

function readReplies(socket: net.Socket, count: number): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const replies: DecodedPacket[] = [];
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.byteLength >= 2 && buffered.byteLength >= 2 + buffered.readUInt16BE(0)) {
        const end = 2 + buffered.readUInt16BE(0);
        replies.push(decode(buffered.subarray(2, end)));
        buffered = buffered.subarray(end);
      }
      if (replies.length >= count) resolve(replies);
    });
    socket.once("close", () => reject(new Error(`closed after ${replies.length} replies`)));
  });
}

describe.skipIf(!DIG)("dns server", () => {
  let server: DnsServer;
  let crowded: DnsServer;
  let port: number;
  const errors: string[] = [];

  beforeAll(async () => {
    const onError = (what: string) => errors.push(what);
    server = await startDnsServer({ listen: [{ host: HOST, port: 0 }], zone: () => fixtureZone(), tcpIdleMs: 300, tcpMaxConnections: 3, onError });
    crowded = await startDnsServer({ listen: [{ host: HOST, port: 0 }], zone: () => crowdedZone(30), onError });
    port = server.addresses[0]?.port ?? 0;
  });
  afterAll(async () => {
    await server.close();
    await crowded.close();
  });

  test("port 0 binds a real port, reported in addresses", () => {
    expect(port).toBeGreaterThan(0);
    expect(server.addresses).toEqual([{ host: HOST, port }]);
  });

  test("UDP: authoritative answer, no recursion offered", async () => {
    const r = await dig(port, "www.example.test", "A");
    expect(r.status).toBe("NOERROR");
    expect(r.flags).toContain("aa");
    expect(r.flags).not.toContain("ra");
    expect(r.answers.map((f) => f[4]).sort()).toEqual(EAST_V4);
  });

  test("TCP gives the same answer", async () => {
    const r = await dig(port, "+tcp", "www.example.test", "A");
    expect([r.status, r.flags.includes("aa")]).toEqual(["NOERROR", true]);
    expect(r.answers.map((f) => f[4]).sort()).toEqual(EAST_V4);
  });

  test("rcodes: NXDOMAIN inside the zone, REFUSED outside", async () => {
    const nx = await dig(port, "nope.example.test", "A");
    expect([nx.status, nx.flags.includes("aa")]).toEqual(["NXDOMAIN", true]);
    expect(section(nx.text, "AUTHORITY")[0]?.[3]).toBe("SOA");
    const refused = await dig(port, "www.elsewhere.test", "A");
    expect([refused.status, refused.flags.includes("aa")]).toEqual(["REFUSED", false]);
  });

  test("EDNS: our OPT says 1232; +noedns gets none; version 1 gets BADVERS", async () => {
    expect((await dig(port, "+bufsize=4096", "www.example.test")).text).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect((await dig(port, "+noedns", "www.example.test")).text).not.toContain("OPT PSEUDOSECTION");
    expect((await dig(port, "+edns=1", "+noednsnegotiation", "www.example.test")).status).toBe("BADVERS");
  });

  test("several queries on one TCP connection (dig +keepopen)", async () => {
    const r = await dig(port, "+tcp", "+keepopen", "www.example.test", "A", "ns-east.example.test", "A");
    expect(r.text.match(/status: NOERROR/g)?.length).toBe(2);
    expect(r.text).toContain("127.0.0.1");
  });

  test("TCP: pipelined queries split across writes are reassembled", async () => {
    const socket = await connect(port);
    const replies = readReplies(socket, 2);
    const both = Buffer.concat([frame(queryFor("www.example.test", 1)), frame(queryFor("ns-west.example.test", 2))]);
    socket.write(both.subarray(0, 1));
    await Bun.sleep(20);
    socket.write(both.subarray(1, 40));
    await Bun.sleep(20);
    socket.write(both.subarray(40));
    const [first, second] = await replies;
    expect(server.stats.tcpConnections).toBe(1);
    socket.destroy();
    expect(first?.id).toBe(1);
    expect(first?.answers?.length).toBe(2);
    expect(second?.id).toBe(2);
    expect(second?.answers?.[0]).toMatchObject({ data: "127.0.0.2" });
  });

  test("truncated over UDP, then dig's TCP retry gets all 30 addresses", async () => {
    const cport = crowded.addresses[0]?.port ?? 0;
    const udpOnly = await dig(cport, "+noedns", "+ignore", "www.example.test");
    expect(udpOnly.flags).toContain("tc");
    expect(udpOnly.answers).toEqual([]);
    const retried = await dig(cport, "+bufsize=512", "www.example.test");
    expect(retried.text).toContain("Truncated, retrying in TCP mode");
    expect(retried.answers.length).toBe(30);
    expect(retried.flags).not.toContain("tc");
  });

  test("garbage over UDP does not kill the server", async () => {
    const before = server.stats.dropped;
    const client = dgram.createSocket("udp4");
    const send = (bytes: Uint8Array) => new Promise<void>((resolve) => client.send(bytes, port, HOST, () => resolve()));
    await send(Buffer.from("junk"));
    await send(Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), crypto.getRandomValues(new Uint8Array(64))]));
    await send(new Uint8Array(0));
    client.close();
    const r = await dig(port, "www.example.test");
    expect(r.status).toBe("NOERROR");
    expect(server.stats.dropped).toBeGreaterThan(before);
    expect(server.stats.responses.FORMERR ?? 0).toBeGreaterThan(0);
  });

  test("a client gone before its reply (ICMP port unreachable) costs no other client its reply", async () => {
    // Each pair's queries reach the server in one turn, so their replies leave in one sendmmsg:
    // the reply to the closed port fails the one after it, which must be sent again.
    const got: number[] = [];
    const live = await Bun.udpSocket({ hostname: HOST, socket: { data: (_s, m) => void got.push(decode(Buffer.from(m)).id ?? -1) } });
    const gone = await Promise.all([1, 2, 3, 4].map(() => Bun.udpSocket({ hostname: HOST })));
    gone.forEach((g, i) => {
      g.send(queryFor("www.example.test", 100 + i), port, HOST);
      live.send(queryFor("www.example.test", i), port, HOST);
    });
    for (const g of gone) g.close();
    await until("every live client answered", () => got.length === gone.length, 2000, 20).catch(() => undefined);
    live.close();
    expect(got.sort()).toEqual([0, 1, 2, 3]);
  });

  test("an idle TCP connection is closed after tcpIdleMs", async () => {
    const socket = await connect(port);
    const ms = await closedAfter(socket);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
  });

  test("a TCP frame that is no query closes the connection at once, not at the idle timeout", async () => {
    const cport = crowded.addresses[0]?.port ?? 0; // idle timeout 10 s
    const short = await connect(cport);
    short.write(frame(Buffer.from("junk")));
    expect(await closedAfter(short)).toBeLessThan(2000);
    // A length prefix shorter than its query: the rest is read as the next frame's length, so FORMERR and close.
    const cut = await connect(cport);
    const replies = readReplies(cut, 1).catch(() => []);
    const q = queryFor("www.example.test", 7);
    cut.write(Buffer.concat([Buffer.from([0, 14]), q]));
    expect(await closedAfter(cut)).toBeLessThan(2000);
    expect(((await replies)[0]?.flags ?? 0) & 0xf).toBe(1); // FORMERR
  });

  test("connections beyond the cap are closed at once", async () => {
    const held = await Promise.all([connect(port), connect(port), connect(port)]);
    const refused = server.stats.tcpRefused;
    const extra = await connect(port);
    await closedAfter(extra);
    // Counted as refused at accept, not closed later by the idle timer (timing alone cannot
    // tell the two apart on a busy machine).
    expect(server.stats.tcpRefused).toBe(refused + 1);
    for (const s of held) s.destroy();
  });

  test("a failure while answering gets SERVFAIL and is counted", async () => {
    const failures: unknown[] = [];
    const broken = await startDnsServer({
      listen: [{ host: HOST, port: 0 }],
      zone: () => {
        throw new Error("no zone yet");
      },
      onError: (_what, err) => failures.push(err),
    });
    try {
      const r = await dig(broken.addresses[0]?.port ?? 0, "www.example.test");
      expect(r.status).toBe("SERVFAIL");
      expect([broken.stats.errors, broken.stats.responses.SERVFAIL]).toEqual([1, 1]);
      expect(String(failures[0])).toContain("no zone yet");
    } finally {
      await broken.close();
    }
  });

  test("stats count queries and replies; nothing crashed", () => {
    expect(server.stats.queries).toBeGreaterThan(10);
    expect(server.stats.responses.NOERROR ?? 0).toBeGreaterThan(5);
    expect(server.stats.responses.NXDOMAIN).toBe(1);
    expect(errors.filter((e) => e === "answer")).toEqual([]);
  });
});
