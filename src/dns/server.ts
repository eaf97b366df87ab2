// The nameserver's sockets: UDP and TCP (RFC 7766) on each listen address, answering from whatever
// zone is current. The only socket code of the DNS part; answering itself is answer.ts.

import dgram from "node:dgram";
import net from "node:net";
import { parseAddress, truncate, type Prefix } from "../geo/address.ts";
import type { ChooseArea } from "./answer.ts";
import { TCP_IDLE_MS_DEFAULT, TCP_MAX_CONNECTIONS_DEFAULT, UDP_EDNS_LIMIT } from "./limits.ts";
import { answerer, emptyStats, type DnsStats } from "./answerer.ts";
import type { RateLimiterOptions } from "./rate-limit.ts";
import { fixSendBuffer } from "./send-buffer.ts";
import { isUpdate } from "./update-handler.ts";
import { updateLater } from "./update-later.ts";
import type { Zone } from "./zone.ts";

export { emptyStats, LATENCY_BOUNDS_US, type DnsStats } from "./answerer.ts";

export interface DnsServerOptions {
  listen: { host: string; port: number }[];
  /** Called per query, so a new assignment takes effect on the next one. */
  zone: () => Zone;
  /** Largest UDP reply (and what OPT advertises). */
  udpSize?: number;
  /** A TCP connection quiet this long is closed (RFC 7766 §6.2.3). */
  tcpIdleMs?: number;
  /** Connections beyond this are closed at once. */
  tcpMaxConnections?: number;
  /** However busy, a connection ends after this: slow clients cannot hold a slot for ever. */
  tcpMaxLifetimeMs?: number;
  /** Senders that may transfer the zone over TCP. */
  transferAllow?: readonly Prefix[];
  /** Per client prefix; absent: no limit. */
  rateLimit?: RateLimiterOptions;
  /** The area to answer each query for (issue 7); absent: the zone's served area. */
  chooseArea?: ChooseArea;
  /** "exclusive" (default): Bun.udpSocket, about a third less CPU per query, but it cannot share
   * a port; "shared": node:dgram with SO_REUSEPORT, for worker processes on one port; "none":
   * TCP only, when worker processes answer UDP. */
  udp?: "exclusive" | "shared" | "none";
  /** Serve TCP too (default); workers leave TCP to the node. */
  tcp?: boolean;
  /** RFC 2136 UPDATE (src/dns/update-handler.ts); absent: answered NOTIMP like other opcodes. */
  update?: (query: Uint8Array) => Promise<Uint8Array>;
  onError?: (what: string, err: unknown) => void;
  /** Counters to add into (the nameserver's, which exist before its sockets); default: fresh ones. */
  stats?: DnsStats;
}

export interface DnsServer {
  stats: DnsStats;
  addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

/** A client that does not read its replies is cut off once this much waits for it. */
const TCP_MAX_BUFFERED_BYTES = 256 * 1024;
/** Kernel send buffer per TCP connection (doubled by the kernel): a whole AXFR chunk fits, and
 * what a non-reading client can park in the kernel stays this size whatever tcp_wmem allows. */
const TCP_SEND_BUFFER_BYTES = 64 * 1024;
/** Replies sent together by Bun.udpSocket's sendMany(), and the largest one a slot holds (larger ones go alone). */
const SEND_BATCH = 64;
const UDP_SLOT_BYTES = 4096;
/** For port 0: tries at finding a port free for both UDP and TCP. */
const BIND_ATTEMPTS = 5;

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const tcpIdleMs = o.tcpIdleMs ?? TCP_IDLE_MS_DEFAULT;
  const tcpMaxConnections = o.tcpMaxConnections ?? TCP_MAX_CONNECTIONS_DEFAULT;
  const udpSize = o.udpSize ?? UDP_EDNS_LIMIT;
  const stats = o.stats ?? emptyStats();
  const fail = (what: string, err: unknown) => {
    stats.errors++;
    o.onError?.(what, err);
  };
  const allowed = (source: string | undefined) => {
    const a = source === undefined ? undefined : parseAddress(source);
    return !!a && (o.transferAllow ?? []).some((p) => p.family === a.family && truncate(a.bytes, p.length).every((b, i) => b === p.bytes[i]));
  };

  const { answer, answerUdp } = answerer({ zone: o.zone, udpSize, chooseArea: o.chooseArea, rateLimit: o.rateLimit, fail }, stats);

  const takeUpdate = updateLater(o.update, stats, fail);

  const connections = new Set<net.Socket>();
  const serveTcp = (socket: net.Socket) => {
    socket.on("error", (err) => fail("tcp connection", err));
    if (connections.size >= tcpMaxConnections) {
      stats.tcpRefused++;
      socket.destroy();
      return;
    }
    connections.add(socket);
    stats.tcpConnections = connections.size;
    const lifetime = setTimeout(() => socket.resetAndDestroy(), o.tcpMaxLifetimeMs ?? 120_000);
    socket.on("close", () => {
      clearTimeout(lifetime);
      connections.delete(socket);
      stats.tcpConnections = connections.size;
    });
    socket.setNoDelay(true);
    socket.setTimeout(tcpIdleMs, () => socket.destroy());
    const source = socket.remoteAddress;
    const transferAllowed = allowed(source);

    // RFC 7766 §8: each message is preceded by its two-byte length; reads may split or join them.
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = pending.byteLength === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.byteLength >= 2 && !socket.destroyed && !socket.writableEnded) {
        const end = 2 + pending.readUInt16BE(0);
        if (pending.byteLength < end) break;
        const message = pending.subarray(2, end);
        pending = pending.subarray(end);
        // An UPDATE's reply may come after the connection closed at a later framing error.
        if (takeUpdate(message, (b) => socket.destroyed || socket.writableEnded || socket.write(frame(b)))) continue;
        const r = answer(message, "tcp", source, transferAllowed);
        // A frame that is no query, or a query that does not parse, means the stream's framing
        // is lost: whatever follows would be read from the wrong offset (RFC 7766 §8), so close.
        if (!r) return void socket.destroy();
        for (const m of [r.bytes, ...(r.more ?? [])]) socket.write(frame(m));
        if (r.rcode === "FORMERR") return void socket.end();
      }
      // Abortive (RST): an orderly close would queue behind the replies the client never reads.
      if (pending.byteLength + socket.writableLength > TCP_MAX_BUFFERED_BYTES) socket.resetAndDestroy();
    });
  };

  const listeners: Listener[] = [];
  try {
    // One closure for every datagram (none made per datagram): it reads the sender answered now.
    let sender = "";
    const source = () => sender;
    for (const { host, port } of o.listen) {
      const onDatagram = (msg: Buffer, fromPort: number, fromAddress: string, udp: UdpEndpoint) => {
        if (isUpdate(msg) && takeUpdate(msg, (b) => udp.send(b, fromPort, fromAddress))) return;
        sender = fromAddress;
        const n = answerUdp(msg, msg.byteLength, source, udp.replyBuffer());
        if (n >= 0) udp.sendReply(n, fromPort, fromAddress);
      };
      // Bun.udpSocket cannot set IPV6_V6ONLY, and "[::]" beside "0.0.0.0" on one port needs it.
      const udpBind = o.udp === "shared" || net.isIPv6(host) ? bindSharedUdp : bindBunUdp;
      const listener = await bindBoth(
        host,
        port,
        o.udp === "none" ? undefined : (p) => udpBind(host, p, onDatagram, fail),
        o.tcp === false ? undefined : serveTcp,
      );
      listener.tcp?.on("error", (err) => fail("tcp listener", err));
      const why = listener.tcp && fixSendBuffer(listener.tcp, TCP_SEND_BUFFER_BYTES);
      if (why) fail("tcp send buffer", new Error(`left to the kernel's autotuning: ${why}`));
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
  udp?: UdpEndpoint;
  tcp?: net.Server;
}

/** One bound UDP socket, whichever implementation. */
interface UdpEndpoint {
  port: number;
  /** Where the next reply is written (at least UDP_SLOT_BYTES): sendReply() sends it without a copy. */
  replyBuffer(): Uint8Array;
  sendReply(length: number, port: number, address: string): void;
  /** A reply built elsewhere (an UPDATE's). */
  send(bytes: Uint8Array, port: number, address: string): void;
  close(): Promise<void>;
}
type OnDatagram = (msg: Buffer, port: number, address: string, udp: UdpEndpoint) => void;
type Fail = (what: string, err: unknown) => void;

/** UDP first, then TCP on the port UDP got, so port 0 yields one port for both. */
async function bindBoth(
  host: string,
  port: number,
  bindUdp: ((port: number) => Promise<UdpEndpoint>) | undefined,
  serveTcp: ((s: net.Socket) => void) | undefined,
): Promise<Listener> {
  if (!bindUdp) {
    if (!serveTcp) throw new Error("a DNS listener needs UDP or TCP");
    const tcp = await listenTcp(host, port, serveTcp);
    return { host, port: (tcp.address() as net.AddressInfo).port, tcp };
  }
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(port);
    if (!serveTcp) return { host, port: udp.port, udp };
    try {
      const tcp = await listenTcp(host, udp.port, serveTcp);
      return { host, port: udp.port, udp, tcp };
    } catch (err) {
      await udp.close();
      // With port 0 the TCP side of a random UDP port may be taken: draw another.
      if (port !== 0 || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}

async function bindBunUdp(host: string, port: number, onDatagram: OnDatagram, fail: Fail): Promise<UdpEndpoint> {
  let endpoint: UdpEndpoint | undefined;
  const socket = await Bun.udpSocket({
    hostname: host,
    port,
    socket: {
      data: (_s, msg, fromPort, fromAddress) => endpoint && onDatagram(msg, fromPort, fromAddress, endpoint),
      error: (_s, err) => fail("udp socket", err),
    },
  });
  // Replies wait here and leave together, one sendMany() (one sendmmsg) per event-loop turn:
  // each is written straight into the next free slot. A slot's view of its reply's length is
  // kept, as replies mostly have one length.
  const slots = Array.from({ length: SEND_BATCH }, () => new Uint8Array(UDP_SLOT_BYTES));
  const views = slots.map((slot) => slot.subarray(0, 0));
  const queued: (Uint8Array | number | string)[] = [];
  let flushing = false;
  // sendmmsg stops at the first datagram that fails, and a reply to a client that has gone (its
  // port closed: ICMP port unreachable) fails the datagram sent after it. So the rest is sent
  // again from there; a datagram that fails twice at the head (say the send buffer is full) is
  // dropped, as on any UDP path.
  const flush = () => {
    flushing = false;
    let at = 0;
    let dropped = 0;
    let failedAtHead = false;
    while (at < queued.length) {
      const sent = socket.sendMany(at === 0 ? queued : queued.slice(at));
      if (sent > 0) at += 3 * sent;
      else if (failedAtHead) {
        at += 3;
        dropped++;
      }
      failedAtHead = sent === 0 && !failedAtHead;
    }
    if (dropped) fail("udp send", new Error(`${dropped} replies dropped`));
    queued.length = 0;
  };
  const sendReply = (length: number, toPort: number, toAddress: string) => {
    const i = queued.length / 3;
    if (views[i]!.byteLength !== length) views[i] = slots[i]!.subarray(0, length);
    queued.push(views[i]!, toPort, toAddress);
    if (queued.length / 3 === SEND_BATCH) flush();
    else if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  endpoint = {
    port: socket.port,
    replyBuffer: () => slots[queued.length / 3]!,
    sendReply,
    send: (bytes, toPort, toAddress) => {
      // Sent on its own, tried twice like the batch's head (a gone client's error may fail the first try).
      if (bytes.byteLength > UDP_SLOT_BYTES)
        return void (socket.send(bytes, toPort, toAddress) || socket.send(bytes, toPort, toAddress) || fail("udp send", new Error("1 reply dropped")));
      slots[queued.length / 3]!.set(bytes);
      sendReply(bytes.byteLength, toPort, toAddress);
    },
    close: async () => {
      flush();
      socket.close();
    },
  };
  return endpoint;
}

function bindSharedUdp(host: string, port: number, onDatagram: OnDatagram, fail: Fail): Promise<UdpEndpoint> {
  return new Promise((resolve, reject) => {
    // reusePort: worker processes bind the same port and the kernel spreads datagrams among them.
    // ipv6Only: an IPv6 listener serves IPv6 alone, so "0.0.0.0" and "[::]" can share a port.
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4", reusePort: true, ipv6Only: net.isIPv6(host) });
    const sent = (err: Error | null) => err && fail("udp send", err);
    const out = new Uint8Array(UDP_SLOT_BYTES);
    const endpoint: UdpEndpoint = {
      port: 0,
      replyBuffer: () => out,
      // node:dgram sends later: the reply buffer is reused, so it gets a copy.
      sendReply: (length, toPort, toAddress) => udp.send(out.slice(0, length), toPort, toAddress, sent),
      send: (bytes, toPort, toAddress) => udp.send(bytes, toPort, toAddress, sent),
      close: () => new Promise<void>((done) => udp.close(() => done())),
    };
    udp.on("message", (msg, from) => onDatagram(msg, from.port, from.address, endpoint));
    udp.once("error", reject);
    udp.bind(port, host, () => {
      udp.off("error", reject);
      udp.on("error", (err) => fail("udp socket", err));
      endpoint.port = udp.address().port;
      resolve(endpoint);
    });
  });
}

function listenTcp(host: string, port: number, serveTcp: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const tcp = net.createServer(serveTcp);
    tcp.once("error", reject);
    tcp.listen({ host, port, ipv6Only: net.isIPv6(host) }, () => {
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
    listeners.flatMap((l) => [...(l.udp ? [l.udp.close()] : []), ...(l.tcp ? [new Promise<void>((resolve) => l.tcp?.close(() => resolve()))] : [])]),
  );
}
