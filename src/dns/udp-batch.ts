// Batched UDP: a SO_REUSEPORT socket of our own, read with recvmmsg and answered with sendmmsg, up
// to BATCH datagrams per call, every buffer and kernel struct allocated once. One call per batch:
// recvmmsg waits for the first datagram (at most WAIT_MS, the socket's SO_RCVTIMEO) and takes
// whatever else is queued. The loop never holds the event loop long: after a wait that timed out,
// or MAX_BATCHES_PER_TURN batches, it yields, so IPC (zone updates), timers and signals run
// between batches. Sends never block (MSG_DONTWAIT).

import { parseAddress } from "../geo/address.ts";
import {
  AF_INET,
  AF_INET6,
  EAGAIN,
  EINTR,
  ENOBUFS,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_TRUNC,
  MSG_WAITFORONE,
  POLLOUT,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
  type Syscalls,
} from "./libc.ts";

/** Datagrams per recvmmsg/sendmmsg call. */
const BATCH = 64;
/** Bytes kept of a received datagram; a longer one is dropped as oversized (no query is near it). */
export const SLOT_BYTES = 4096;
/** Largest reply the handler may write: [nameserver] udp_size is at most 4096. Small slots keep a batch's replies on few pages. */
const OUT_BYTES = 4096;
/** Longest wait in recvmmsg for a datagram before the event loop gets its turn. */
const WAIT_MS = 20;
const MAX_BATCHES_PER_TURN = 64;
/** A full send buffer is waited on this long, once, before the rest of the batch is dropped. */
const SEND_WAIT_MS = 2;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const BATCH_TIMING_SAMPLE = 16;

// struct mmsghdr on LP64 Linux: msghdr (56 bytes) then msg_len, padded to 64.
const MMSG = 64;
const NAME = 0;
const NAMELEN = 8;
const IOV = 16;
const IOVLEN = 24;
const FLAGS = 48;
const LEN = 56;
const IOVEC = 16;
const SOCKADDR = 28; // sockaddr_in6, big enough for sockaddr_in too

/**
 * Answers one datagram: writes the reply into `out` and returns its length, or -1 to send
 * nothing. `from` is the sender's sockaddr (see sourceText).
 */
export type BatchHandler = (query: Uint8Array, length: number, from: Uint8Array, out: Uint8Array) => number;

export interface BatchEvents {
  /** A batch of `count` datagrams answered in `elapsedUs`. */
  onBatch?(count: number, elapsedUs: number): void;
  /** A datagram received but not answered: over SLOT_BYTES. */
  onOversized?(): void;
  /** A failed call, by name and errno; replies lost to a full buffer count `lost`. */
  onError?(what: string, errno: number, lost: number): void;
}

export interface BatchSocket {
  fd: number;
  port: number;
  /** Runs the loop until stop(); resolves when it has stopped and the socket is closed. */
  serve(handler: BatchHandler, events?: BatchEvents): Promise<void>;
  /** A reply decided after its query's batch (an UPDATE, answered once durable): sent from this socket at the loop's next turn. */
  sendLater(reply: Uint8Array, to: Uint8Array): void;
  stop(): void;
}

interface Deferred {
  reply: Uint8Array;
  /** The sender's sockaddr, copied: the slot it came in is reused by the next batch. */
  to: Uint8Array;
}

/** Opens and binds the socket, or says why it could not. */
export function openBatchSocket(sys: Syscalls, host: string, port: number): BatchSocket | string {
  const address = parseAddress(host);
  if (!address) return `${host} is not an IP address`;
  const v6 = host.includes(":");
  const fd = sys.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return `socket: errno ${sys.errno()}`;
  const fail = (what: string) => {
    const e = sys.errno();
    sys.close(fd);
    return `${what}: errno ${e}`;
  };
  const one = int32(1);
  if (sys.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) < 0) return fail("SO_REUSEPORT");
  // Bursts wait here rather than being dropped; the kernel caps it at net.core.rmem_max.
  if (sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(RECEIVE_BUFFER_BYTES), 4) < 0) return fail("SO_RCVBUF");
  if (sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(WAIT_MS), 16) < 0) return fail("SO_RCVTIMEO");
  if (v6 && sys.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4) < 0) return fail("IPV6_V6ONLY");
  const sa = new Uint8Array(SOCKADDR);
  const view = new DataView(sa.buffer);
  view.setUint16(0, v6 ? AF_INET6 : AF_INET, true);
  view.setUint16(2, port, false);
  if (v6) sa.set(address.family === 6 ? address.bytes : mapped(address.bytes), 8);
  else sa.set(address.bytes, 4);
  if (sys.bind(fd, sa, v6 ? 28 : 16) < 0) return fail(`bind ${host}:${port}`);
  const length = int32(SOCKADDR);
  if (sys.getsockname(fd, sa, length) < 0) return fail("getsockname");
  let running = true;
  const deferred: Deferred[] = [];
  return {
    fd,
    port: view.getUint16(2, false),
    serve: (handler, events = {}) => serveLoop(sys, fd, handler, events, deferred, () => running),
    sendLater: (reply, to) => void (reply.byteLength <= OUT_BYTES && deferred.push({ reply: reply.slice(), to: to.slice() })),
    stop: () => void (running = false),
  };
}

/**
 * The sender's address as text, built only when an answer needs it (the location map, the rate
 * limit), and then once per run of queries from one IPv4 sender: a resolver sends many.
 */
export function sourceTexts(): (from: Uint8Array) => string {
  let lastV4 = -1;
  let lastText = "";
  return (from) => {
    if (from[0] === AF_INET && from[1] === 0) {
      const v4 = ((from[4]! << 24) | (from[5]! << 16) | (from[6]! << 8) | from[7]!) >>> 0;
      if (v4 !== lastV4) ((lastV4 = v4), (lastText = `${from[4]}.${from[5]}.${from[6]}.${from[7]}`));
      return lastText;
    }
    const groups: string[] = [];
    for (let i = 8; i < 24; i += 2) groups.push(((from[i]! << 8) | from[i + 1]!).toString(16));
    return groups.join(":");
  };
}

function serveLoop(sys: Syscalls, fd: number, handler: BatchHandler, events: BatchEvents, deferred: Deferred[], running: () => boolean): Promise<void> {
  // Every buffer lives as long as the loop: the kernel holds their addresses.
  const slots = new Uint8Array(BATCH * SLOT_BYTES);
  const outs = new Uint8Array(BATCH * OUT_BYTES);
  const names = new Uint8Array(BATCH * SOCKADDR);
  const recvIov = new Uint8Array(BATCH * IOVEC);
  const sendIov = new Uint8Array(BATCH * IOVEC);
  const recvVec = new Uint8Array(BATCH * MMSG);
  const sendVec = new Uint8Array(BATCH * MMSG);
  const pollFd = new Uint8Array(8);
  // The kernel holds these addresses: keep every buffer referenced until the socket is closed.
  const pinned: Uint8Array[] = [slots, outs, names, recvIov, sendIov, recvVec, sendVec, pollFd];
  const rv = new Uint32Array(recvVec.buffer);
  const sv = new Uint32Array(sendVec.buffer);
  const siov = new Uint32Array(sendIov.buffer);
  const riov = new Uint32Array(recvIov.buffer);
  const pv = new DataView(pollFd.buffer);
  const queries = Array.from({ length: BATCH }, (_, i) => slots.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES));
  const replies = Array.from({ length: BATCH }, (_, i) => outs.subarray(i * OUT_BYTES, (i + 1) * OUT_BYTES));
  const froms = Array.from({ length: BATCH }, (_, i) => names.subarray(i * SOCKADDR, (i + 1) * SOCKADDR));
  // 64-bit pointers are written as two 32-bit halves (little-endian).
  const put64 = (into: Uint32Array, at: number, value: number) => {
    into[at / 4] = value >>> 0;
    into[at / 4 + 1] = Math.floor(value / 2 ** 32);
  };
  const slotsAt = sys.address(slots);
  const outsAt = sys.address(outs);
  const namesAt = sys.address(names);
  const recvIovAt = sys.address(recvIov);
  const sendIovAt = sys.address(sendIov);
  const nameHalves = new Uint32Array(BATCH * 2);
  const iovHalves = new Uint32Array(BATCH * 2);
  for (let i = 0; i < BATCH; i++) {
    put64(riov, i * IOVEC, slotsAt + i * SLOT_BYTES);
    put64(riov, i * IOVEC + 8, SLOT_BYTES);
    put64(siov, i * IOVEC, outsAt + i * OUT_BYTES);
    put64(rv, i * MMSG + NAME, namesAt + i * SOCKADDR);
    put64(rv, i * MMSG + IOV, recvIovAt + i * IOVEC);
    put64(rv, i * MMSG + IOVLEN, 1);
    put64(sv, i * MMSG + IOVLEN, 1);
    put64(nameHalves, i * 8, namesAt + i * SOCKADDR);
    put64(iovHalves, i * 8, sendIovAt + i * IOVEC);
  }
  for (let i = 0; i < BATCH; i++) rv[(i * MMSG + NAMELEN) / 4] = SOCKADDR;
  pv.setInt32(0, fd, true);

  const wait = (events_: number, ms: number) => {
    pv.setInt16(4, events_, true);
    pv.setInt16(6, 0, true);
    return sys.poll(pollFd, 1, ms);
  };

  /** Sends replies 0..count-1 of sendVec, resuming after a partial send; returns how many went out. */
  const sendAll = (count: number) => {
    let sent = 0;
    let waited = false;
    while (sent < count) {
      const n = sys.sendmmsg(fd, sendVec, count - sent, MSG_DONTWAIT, sent * MMSG);
      if (n > 0) {
        sent += n;
        continue;
      }
      const e = sys.errno();
      if (n < 0 && e === EINTR) continue;
      if (n < 0 && (e === EAGAIN || e === ENOBUFS) && !waited) {
        waited = true;
        wait(POLLOUT, SEND_WAIT_MS);
        continue;
      }
      if (n < 0 && (e === EAGAIN || e === ENOBUFS)) {
        events.onError?.("sendmmsg", e, count - sent);
        return sent;
      }
      // Anything else belongs to the first unsent reply alone (its address, say): skip it.
      events.onError?.("sendmmsg", n < 0 ? e : 0, 1);
      sent++;
    }
    return sent;
  };

  let batches = 0;
  const batch = (n: number) => {
    // One batch in BATCH_TIMING_SAMPLE is timed; its time stands for that many batches' queries.
    const started = ++batches % BATCH_TIMING_SAMPLE === 0 ? performance.now() : -1;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const at = i * MMSG;
      if (rv[(at + FLAGS) / 4]! & MSG_TRUNC) {
        events.onOversized?.();
        continue;
      }
      const length = handler(queries[i]!, rv[(at + LEN) / 4]!, froms[i]!, replies[i]!);
      if (length < 0) continue;
      toSend(count++, i, length, rv[(at + NAMELEN) / 4]!);
    }
    if (count > 0) sendAll(count);
    if (started >= 0) events.onBatch?.(n * BATCH_TIMING_SAMPLE, (performance.now() - started) * 1000);
  };
  /** Message `m` of the send vector: the reply in out slot i, to the sockaddr in name slot i. */
  const toSend = (m: number, i: number, length: number, nameLength: number) => {
    const to = m * MMSG;
    sv[(to + NAME) / 4] = nameHalves[i * 2]!;
    sv[(to + NAME) / 4 + 1] = nameHalves[i * 2 + 1]!;
    sv[(to + NAMELEN) / 4] = nameLength;
    sv[(to + IOV) / 4] = iovHalves[i * 2]!;
    sv[(to + IOV) / 4 + 1] = iovHalves[i * 2 + 1]!;
    siov[(i * IOVEC + 8) / 4] = length;
  };
  /** Between batches the slots are free: the deferred replies go out through them. */
  const flushDeferred = () => {
    const now = deferred.splice(0, BATCH);
    now.forEach((d, i) => {
      replies[i]!.set(d.reply);
      froms[i]!.set(d.to.subarray(0, SOCKADDR));
      toSend(i, i, d.reply.byteLength, Math.min(d.to.byteLength, SOCKADDR));
    });
    if (now.length) sendAll(now.length);
  };

  return new Promise<void>((resolve) => {
    const turn = () => {
      if (!running()) {
        sys.close(fd);
        pinned.length = 0;
        return resolve();
      }
      flushDeferred();
      for (let b = 0; b < MAX_BATCHES_PER_TURN; b++) {
        const n = sys.recvmmsg(fd, recvVec, BATCH, MSG_WAITFORONE);
        if (n > 0) {
          batch(n);
          // The kernel rewrote msg_namelen of the slots it filled: give them their full size back.
          for (let i = 0; i < n; i++) rv[(i * MMSG + NAMELEN) / 4] = SOCKADDR;
          continue;
        }
        const e = n < 0 ? sys.errno() : EAGAIN;
        if (e === EINTR) continue;
        // EAGAIN: nothing came within WAIT_MS; either way the event loop gets its turn.
        if (e !== EAGAIN) events.onError?.("recvmmsg", e, 0);
        break;
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  });
}

/** struct timeval of `ms`. */
function timeval(ms: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  v.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  return b;
}

function int32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** An IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
function mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}
