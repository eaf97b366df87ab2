// The DNS fuzzer shared by the bounded test (test/integration/dns-fuzz.test.ts) and the long run
// (scripts/fuzz-dns.ts): seeded random and mutated packets sent to a server over UDP and TCP, each
// reply checked. A failure names the seed and the packet's index, which regenerate the packet.

import dgram from "node:dgram";
import net from "node:net";
import { seededRandom } from "../src/sim/prng.ts";

const TYPES = [1, 2, 5, 6, 15, 16, 28, 33, 41, 251, 252, 255];
/** Rcodes a correct server may give a query it could read: everything but SERVFAIL (a failure of ours). */
const SENSIBLE_RCODES = new Set([0, 1, 3, 4, 5, 16]);

export function fuzzPacket(rand: () => number, names: readonly string[]): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const r = rand();
  if (r < 0.15) return bytes(int(rand() < 0.2 ? 14 : 300));
  const packet = wellFormed(rand, int, pick, bytes, names);
  if (r < 0.5) return packet;
  let p = packet;
  for (let m = 1 + int(4); m > 0; m--) {
    const at = int(Math.max(p.byteLength, 1));
    switch (int(7)) {
      case 0: // flip a bit
        p = p.slice();
        p[at] = (p[at] ?? 0) ^ (1 << int(8));
        break;
      case 1: // any byte
        p = p.slice();
        p[at] = int(256);
        break;
      case 2: // cut short
        p = p.slice(0, at);
        break;
      case 3: // trailing bytes
        p = Uint8Array.from([...p, ...bytes(1 + int(20))]);
        break;
      case 4: // counts
        p = p.slice();
        if (p.byteLength >= 12) p.set([int(256) & 3, int(256), int(3), int(3), int(3), int(3), int(2), int(4)], 4);
        break;
      case 5: // a compression pointer, possibly to itself
        p = p.slice();
        if (p.byteLength > 14) p.set([0xc0 | int(4), int(p.byteLength)], 12 + int(p.byteLength - 13));
        break;
      default: // a label length over 63 or beyond the end
        p = p.slice();
        if (p.byteLength > 12) p[12 + int(p.byteLength - 12)] = 64 + int(192);
    }
  }
  return p;
}

function wellFormed(
  rand: () => number,
  int: (n: number) => number,
  pick: <T>(xs: readonly T[]) => T,
  bytes: (n: number) => Uint8Array,
  names: readonly string[],
): Uint8Array {
  const name =
    rand() < 0.6
      ? pick(names)
      : Array.from({ length: 1 + int(5) }, () => Array.from({ length: 1 + int(20) }, () => String.fromCharCode(97 + int(26))).join("")).join(".") +
        (rand() < 0.5 ? `.${pick(names)}` : "");
  const labels = name.split(".").map((l) => Array.from(l, (c) => (rand() < 0.3 ? c.toUpperCase() : c)).join(""));
  const qname = [...labels.flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
  const type = rand() < 0.9 ? pick(TYPES) : int(65536);
  const klass = rand() < 0.85 ? 1 : pick([3, 255, int(65536)]);
  const opcode = rand() < 0.9 ? 0 : int(16);
  const flags = (opcode << 11) | (rand() < 0.5 ? 0x0100 : 0) | (rand() < 0.2 ? 0x0010 : 0);
  const edns = rand() < 0.6;
  const header = [0, 0, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  const question = [...qname, type >> 8, type & 0xff, klass >> 8, klass & 0xff];
  if (!edns) return Uint8Array.from([...header, ...question]);
  const options: number[] = [];
  for (let n = int(3); n > 0; n--) {
    const code = rand() < 0.5 ? pick([8, 10, 12, 15]) : int(65536);
    const data = bytes(int(24));
    options.push(code >> 8, code & 0xff, data.byteLength >> 8, data.byteLength & 0xff, ...data);
  }
  const size = pick([0, 100, 512, 1232, 4096, 65535]);
  const version = rand() < 0.9 ? 0 : int(256);
  const opt = [0, 0, 41, size >> 8, size & 0xff, 0, version, rand() < 0.3 ? 0x80 : 0, 0, options.length >> 8, options.length & 0xff, ...options];
  return Uint8Array.from([...header, ...question, ...opt]);
}

/** Is a reply expected at all: a header that can be read and is not itself a response. */
export const answerable = (p: Uint8Array) => p.byteLength >= 12 && (p[2]! & 0x80) === 0;

/** What is wrong with a reply to `query`, or undefined when it is sensible. */
export function checkReply(query: Uint8Array, reply: Uint8Array, udpLimit: number | undefined): string | undefined {
  if (reply.byteLength < 12) return `reply of ${reply.byteLength} bytes`;
  if (reply[0] !== query[0] || reply[1] !== query[1]) return "id differs";
  if ((reply[2]! & 0x80) === 0) return "QR clear";
  if (((reply[2]! >> 3) & 0xf) !== ((query[2]! >> 3) & 0xf)) return "opcode not echoed";
  if (udpLimit !== undefined && reply.byteLength > udpLimit) return `UDP reply of ${reply.byteLength} bytes over ${udpLimit}`;
  const low = reply[3]! & 0xf;
  const rcode = low === 0 && optExtendedRcode(reply) === 1 ? 16 : low;
  return SENSIBLE_RCODES.has(rcode) ? undefined : `rcode ${rcode}`;
}

/** BADVERS is the only extended rcode we send: it shows as extended rcode 1 in the OPT at the end. */
function optExtendedRcode(reply: Uint8Array): number {
  const at = reply.byteLength - 11;
  return at > 12 && reply[at] === 0 && reply[at + 1] === 0 && reply[at + 2] === 41 ? reply[at + 5]! : 0;
}

export interface FuzzResult {
  sent: number;
  expected: number;
  replies: number;
  problems: string[];
}

/**
 * Sends `count` packets over UDP in windows of `window`, waiting for each window's replies (an
 * event, bounded by `windowTimeoutMs`). Packet i gets id i & 0xffff so replies can be matched.
 */
export async function fuzzUdp(o: {
  host: string;
  port: number;
  seed: number;
  count: number;
  names: readonly string[];
  udpLimit: number;
  window?: number;
  windowTimeoutMs?: number;
  maxProblems?: number;
}): Promise<FuzzResult> {
  const rand = seededRandom(o.seed); // the seed reproduces a run
  const window = o.window ?? 64;
  const result: FuzzResult = { sent: 0, expected: 0, replies: 0, problems: [] };
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, o.host, resolve));
  let waiting = new Map<number, { index: number; packet: Uint8Array }>();
  let wake: () => void = () => {};
  sock.on("message", (msg) => {
    const id = msg.byteLength >= 2 ? (msg[0]! << 8) | msg[1]! : -1;
    const q = waiting.get(id);
    if (!q) return void result.problems.push(`unexpected reply id ${id}`);
    waiting.delete(id);
    result.replies++;
    const problem = checkReply(q.packet, msg, o.udpLimit);
    if (problem) result.problems.push(`seed ${o.seed} packet ${q.index}: ${problem}`);
    if (waiting.size === 0) wake();
  });
  try {
    for (let start = 0; start < o.count && result.problems.length < (o.maxProblems ?? 20); start += window) {
      waiting = new Map();
      for (let i = start; i < Math.min(o.count, start + window); i++) {
        const packet = fuzzPacket(rand, o.names);
        if (packet.byteLength >= 2) packet.set([(i >> 8) & 0xff, i & 0xff]);
        if (answerable(packet)) waiting.set(i & 0xffff, { index: i, packet });
        sock.send(packet, o.port, o.host);
        result.sent++;
      }
      result.expected += waiting.size;
      if (waiting.size > 0) {
        const done = new Promise<void>((resolve) => (wake = resolve));
        const timer = new Promise<void>((resolve) => setTimeout(resolve, o.windowTimeoutMs ?? 2000));
        await Promise.race([done, timer]);
      }
      for (const q of waiting.values()) result.problems.push(`seed ${o.seed} packet ${q.index}: no reply`);
    }
  } finally {
    sock.close();
  }
  return result;
}

/**
 * TCP: `connections` connections, each sending `perConnection` framed packets, some split across
 * writes; every fourth connection ends with a frame cut short. Replies must come in order for the
 * answerable packets up to the first that is not: that one is a framing error, and so is a query
 * answered FORMERR; after either the server must close the connection at once (RFC 7766 §8).
 */
export async function fuzzTcp(o: {
  host: string;
  port: number;
  seed: number;
  connections: number;
  perConnection: number;
  names: readonly string[];
}): Promise<FuzzResult> {
  const rand = seededRandom(o.seed); // the seed reproduces a run
  const result: FuzzResult = { sent: 0, expected: 0, replies: 0, problems: [] };
  for (let c = 0; c < o.connections; c++) {
    const packets = Array.from({ length: o.perConnection }, (_, i) => {
      const p = fuzzPacket(rand, o.names);
      if (p.byteLength >= 2) p.set([c & 0xff, i & 0xff]);
      return p;
    });
    const broken = packets.findIndex((p) => !answerable(p));
    const expected = broken < 0 ? packets : packets.slice(0, broken);
    result.sent += packets.length;
    const stream = Buffer.concat(packets.map((p) => Buffer.concat([Buffer.from([p.byteLength >> 8, p.byteLength & 0xff]), p])));
    const cut = c % 4 === 3 ? Buffer.from([0x01, 0x00, 1, 2, 3]) : Buffer.alloc(0);
    let timedOut = false;
    const replies = await new Promise<Buffer[]>((resolve) => {
      const got: Buffer[] = [];
      let pending = Buffer.alloc(0);
      const socket = net.connect({ host: o.host, port: o.port }, () => {
        const at = Math.floor(rand() * stream.byteLength);
        socket.write(stream.subarray(0, at));
        setTimeout(() => {
          socket.write(Buffer.concat([stream.subarray(at), cut]));
          if (packets.length === 0) socket.end();
        }, 1);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        socket.destroy();
      }, 3000);
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.byteLength >= 2 && pending.byteLength >= 2 + pending.readUInt16BE(0)) {
          got.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
          pending = pending.subarray(2 + pending.readUInt16BE(0));
        }
        // All answered and the framing intact: we end it; otherwise the server must.
        if (broken < 0 && got.length >= expected.length) socket.end();
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(got);
      });
    });
    const formerr = replies.findIndex((r) => (r[3]! & 0xf) === 1);
    const owed = formerr >= 0 ? formerr + 1 : expected.length;
    result.expected += owed;
    result.replies += replies.length;
    if (replies.length !== owed) result.problems.push(`seed ${o.seed} connection ${c}: ${replies.length} replies to ${owed} answerable packets`);
    if (timedOut) result.problems.push(`seed ${o.seed} connection ${c}: left open after ${broken >= 0 || formerr >= 0 ? "a framing error" : "its replies"}`);
    replies.forEach((r, i) => {
      const q = expected[i];
      const problem = q && checkReply(q, r, undefined);
      if (problem) result.problems.push(`seed ${o.seed} connection ${c} reply ${i}: ${problem}`);
    });
  }
  return result;
}
