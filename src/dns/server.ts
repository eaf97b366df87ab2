// The nameserver's sockets: UDP and TCP (RFC 7766) on each listen address, answering from whatever
// zone is current. The only socket code of the DNS part; answering itself is answer.ts.

import dgram from "node:dgram";
import net from "node:net";
import { reply, servfail } from "./answer.ts";
import type { Zone } from "./zone.ts";

export interface DnsServerOptions {
  listen: { host: string; port: number }[];
  /** Called per query, so a new assignment takes effect on the next one. */
  zone: () => Zone;
  /** A TCP connection quiet this long is closed (RFC 7766 §6.2.3). */
  tcpIdleMs?: number;
  /** Connections beyond this are closed at once. */
  tcpMaxConnections?: number;
  onError?: (what: string, err: unknown) => void;
}

export interface DnsStats {
  queries: number;
  /** Replies sent, by rcode name. */
  responses: Record<string, number>;
  /** Queries left unanswered: shorter than a header, or themselves responses. */
  dropped: number;
  errors: number;
  /** TCP connections open now. */
  tcpConnections: number;
}

export interface DnsServer {
  stats: DnsStats;
  addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

/** A client that does not read its replies is cut off once this much waits for it. */
const TCP_MAX_BUFFERED_BYTES = 256 * 1024;
/** For port 0: tries at finding a port free for both UDP and TCP. */
const BIND_ATTEMPTS = 5;

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const tcpIdleMs = o.tcpIdleMs ?? 10_000;
  const tcpMaxConnections = o.tcpMaxConnections ?? 256;
  const stats: DnsStats = { queries: 0, responses: {}, dropped: 0, errors: 0, tcpConnections: 0 };
  const fail = (what: string, err: unknown) => {
    stats.errors++;
    o.onError?.(what, err);
  };

  let rotation = 0;
  const answer = (query: Uint8Array, transport: "udp" | "tcp"): Uint8Array | null => {
    stats.queries++;
    let r;
    try {
      r = reply(query, o.zone(), { transport, rotation });
    } catch (err) {
      fail("answer", err);
      r = servfail(query);
    }
    if (!r) {
      stats.dropped++;
      return null;
    }
    rotation++;
    stats.responses[r.rcode] = (stats.responses[r.rcode] ?? 0) + 1;
    return r.bytes;
  };

  const connections = new Set<net.Socket>();
  const serveTcp = (socket: net.Socket) => {
    socket.on("error", (err) => fail("tcp connection", err));
    if (connections.size >= tcpMaxConnections) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    stats.tcpConnections = connections.size;
    socket.on("close", () => {
      connections.delete(socket);
      stats.tcpConnections = connections.size;
    });
    socket.setNoDelay(true);
    socket.setTimeout(tcpIdleMs, () => socket.destroy());

    // RFC 7766 §8: each message is preceded by its two-byte length; reads may split or join them.
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = pending.byteLength === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.byteLength >= 2) {
        const end = 2 + pending.readUInt16BE(0);
        if (pending.byteLength < end) break;
        const out = answer(pending.subarray(2, end), "tcp");
        pending = pending.subarray(end);
        if (out) socket.write(frame(out));
      }
      if (pending.byteLength + socket.writableLength > TCP_MAX_BUFFERED_BYTES) socket.destroy();
    });
  };

  const listeners: Listener[] = [];
  try {
    for (const { host, port } of o.listen) {
      const listener = await bindBoth(host, port, serveTcp);
      listener.udp.on("message", (msg, from) => {
        const out = answer(msg, "udp");
        if (out) listener.udp.send(out, from.port, from.address, (err) => err && fail("udp send", err));
      });
      listener.udp.on("error", (err) => fail("udp socket", err));
      listener.tcp.on("error", (err) => fail("tcp listener", err));
      listeners.push(listener);
    }
  } catch (err) {
    await closeAll(listeners, connections);
    throw err;
  }

  return {
    stats,
    addresses: listeners.map((l) => ({ host: l.host, port: l.port })),
    close: () => closeAll(listeners, connections),
  };
}

interface Listener {
  host: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
}

/** UDP first, then TCP on the port UDP got, so port 0 yields one port for both. */
async function bindBoth(host: string, port: number, serveTcp: (s: net.Socket) => void): Promise<Listener> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(host, port);
    const bound = udp.address().port;
    try {
      const tcp = await listenTcp(host, bound, serveTcp);
      return { host, port: bound, udp, tcp };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      // With port 0 the TCP side of a random UDP port may be taken: draw another.
      if (port !== 0 || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4", reusePort: true });
    udp.once("error", reject);
    udp.bind(port, host, () => {
      udp.off("error", reject);
      resolve(udp);
    });
  });
}

function listenTcp(host: string, port: number, serveTcp: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const tcp = net.createServer(serveTcp);
    tcp.once("error", reject);
    tcp.listen({ host, port }, () => {
      tcp.off("error", reject);
      resolve(tcp);
    });
  });
}

function frame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(2 + message.byteLength);
  framed.writeUInt16BE(message.byteLength, 0);
  framed.set(message, 2);
  return framed;
}

async function closeAll(listeners: readonly Listener[], connections: Set<net.Socket>): Promise<void> {
  for (const socket of connections) socket.destroy();
  await Promise.all(
    listeners.flatMap((l) => [
      new Promise<void>((resolve) => l.udp.close(() => resolve())),
      new Promise<void>((resolve) => l.tcp.close(() => resolve())),
    ]),
  );
}
