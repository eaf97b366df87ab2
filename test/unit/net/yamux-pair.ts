// Two js-yamux muxers joined in memory, with the bytes of each direction visible and the
// server-to-client direction able to go silent (a peer frozen or cut off).
import type { StreamMuxerFactory, Stream } from "@libp2p/interface";

type Chunk = Uint8Array | { subarray(): Uint8Array };
const bytesOf = (c: Chunk) => (c instanceof Uint8Array ? c : c.subarray());

/** One direction of a connection: what one muxer's source yields, the other's sink reads. */
function wire(): { push(c: Uint8Array): void; end(): void; read: AsyncGenerator<Uint8Array> } {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(c) {
      queue.push(c.slice());
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    read: (async function* () {
      for (;;) {
        if (queue.length) yield queue.shift() as Uint8Array;
        else if (ended) return;
        else await new Promise<void>((r) => (wake = r));
      }
    })(),
  };
}

const silent = Object.assign(() => {}, { error() {}, trace() {}, enabled: false });
/** The components yamux reads: a logger that says nothing. */
export const components = { logger: { forComponent: () => silent } } as never;

export interface Pair {
  client: ReturnType<StreamMuxerFactory["createStreamMuxer"]>;
  server: ReturnType<StreamMuxerFactory["createStreamMuxer"]>;
  /** Every chunk each side sent, in order. */
  fromServer: Uint8Array[];
  fromClient: Uint8Array[];
  /** From now on the server's bytes are dropped before they reach the client. */
  silenceServer(): void;
  close(): void;
}

export function yamuxPair(clientFactory: StreamMuxerFactory, serverFactory: StreamMuxerFactory, onServerStream: (s: Stream) => void): Pair {
  const toServer = wire();
  const toClient = wire();
  const fromServer: Uint8Array[] = [];
  const fromClient: Uint8Array[] = [];
  let silenced = false;
  const client = clientFactory.createStreamMuxer({ direction: "outbound" });
  const server = serverFactory.createStreamMuxer({ direction: "inbound", onIncomingStream: onServerStream });
  void (async () => {
    for await (const c of client.source as AsyncIterable<Chunk>) {
      fromClient.push(bytesOf(c).slice());
      toServer.push(bytesOf(c));
    }
  })();
  void (async () => {
    for await (const c of server.source as AsyncIterable<Chunk>) {
      fromServer.push(bytesOf(c).slice());
      if (!silenced) toClient.push(bytesOf(c));
    }
  })();
  void client.sink(toClient.read);
  void server.sink(toServer.read);
  return {
    client,
    server,
    fromServer,
    fromClient,
    silenceServer: () => void (silenced = true),
    close() {
      toServer.end();
      toClient.end();
    },
  };
}

/** Frame types of the yamux frames in a byte stream. */
export function frameTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    const type = bytes[at + 1] as number;
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 8, 4).getUint32(0);
    types.push(type);
    at += 12 + (type === 0 ? length : 0);
  }
  return types;
}
