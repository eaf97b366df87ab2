// A DNS worker's UDP on the batched path: one batched socket per listen address, answered by the
// shared answerer. Before serving, selfTest proves the platform can do it (the calls load, a
// socket binds, a datagram sent to it is answered); any failure is a reason to use the portable
// path instead.

import dgram from "node:dgram";
import type { Answerer } from "./answerer.ts";
import type { DnsStats } from "./answerer.ts";
import type { Syscalls } from "./libc.ts";
import { openBatchSocket, sourceTexts, type BatchHandler, type BatchSocket } from "./udp-batch.ts";
import { isUpdate } from "./update-handler.ts";
import type { UpdateLater } from "./update-later.ts";

const SELF_TEST_TIMEOUT_MS = 1000;

export interface BatchedUdp {
  addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

/** Serves every listen address, or says why it could not (nothing is left open then). */
/** `takeUpdate`: UPDATEs answered once durable (the node's handler, reached over IPC from a worker). */
export function startBatchedUdp(
  sys: Syscalls,
  listen: readonly { host: string; port: number }[],
  answerer: Answerer,
  stats: DnsStats,
  takeUpdate?: UpdateLater,
): BatchedUdp | string {
  const sockets: { host: string; socket: BatchSocket }[] = [];
  for (const { host, port } of listen) {
    const socket = openBatchSocket(sys, host, port);
    if (typeof socket === "string") {
      for (const s of sockets) sys.close(s.socket.fd);
      return socket;
    }
    sockets.push({ host, socket });
  }
  // One closure for every query: it reads the sender being answered now.
  let from: Uint8Array = new Uint8Array(0);
  const texts = sourceTexts();
  const source = () => texts(from);
  const handlerFor =
    (socket: BatchSocket): BatchHandler =>
    (query, length, sender, out) => {
      if (takeUpdate && length >= 12 && isUpdate(query)) {
        const to = sender.slice();
        takeUpdate(query.subarray(0, length), (reply) => socket.sendLater(reply, to));
        return -1;
      }
      from = sender;
      return answerer.answerUdp(query, length, source, out);
    };
  const loops = sockets.map(({ socket }) =>
    socket.serve(handlerFor(socket), {
      onBatch: (count, us) => answerer.timed(count, us),
      onOversized: () => void (stats.queries++, stats.dropped++),
      onError: (_what, _errno, lost) => void ((stats.errors += 1), (stats.dropped += lost)),
    }),
  );
  return {
    addresses: sockets.map(({ host, socket }) => ({ host, port: socket.port })),
    close: async () => {
      for (const { socket } of sockets) socket.stop();
      await Promise.all(loops);
    },
  };
}

/** Undefined when a batched socket on loopback answers a datagram sent to it; else what failed. */
export async function selfTest(sys: Syscalls): Promise<string | undefined> {
  const socket = openBatchSocket(sys, "127.0.0.1", 0);
  if (typeof socket === "string") return socket;
  const probe = Uint8Array.from([0x57, 0x41, 0x4c, 0x52, 0x55, 0x53]);
  const loop = socket.serve((query, length, _from, out) => {
    out.set(query.subarray(0, length));
    out[0] = 0xff;
    return length;
  });
  const client = dgram.createSocket("udp4");
  try {
    const answered = new Promise<boolean>((resolve) => {
      client.on("message", (msg) => resolve(msg.byteLength === probe.byteLength && msg[0] === 0xff && msg[1] === probe[1]));
      setTimeout(() => resolve(false), SELF_TEST_TIMEOUT_MS);
    });
    client.send(probe, socket.port, "127.0.0.1");
    return (await answered) ? undefined : `no answer to a datagram sent to a batched socket within ${SELF_TEST_TIMEOUT_MS} ms`;
  } finally {
    client.close();
    socket.stop();
    await loop;
  }
}
