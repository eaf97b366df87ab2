// Two js-yamux muxers joined in memory: window updates go out at half use, and a transfer far
// larger than a stream's window still completes (the receiver's update is what the sender waits on).
import { expect, test } from "bun:test";
import { yamux } from "@chainsafe/libp2p-yamux";
import { updateWindowsAtHalf } from "../../../src/net/yamux-window.ts";

const WINDOW = 256 * 1024;
const WINDOW_UPDATE = 1;

type Chunk = Uint8Array | { subarray(): Uint8Array };
/** One direction of a connection: what one muxer's source yields, the other's sink reads. */
function wire(): { push(c: Chunk): void; end(): void; read: AsyncGenerator<Uint8Array> } {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(c) {
      queue.push(c instanceof Uint8Array ? c.slice() : c.subarray().slice());
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

/** Frame types of the yamux frames in a byte stream. */
function frameTypes(bytes: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    const type = bytes[at + 1] as number;
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 8, 4).getUint32(0);
    types.push(type);
    at += 12 + (type === 0 ? length : 0);
  }
  return types;
}

const silent = Object.assign(() => {}, { error() {}, trace() {}, enabled: false });
const components = { logger: { forComponent: () => silent } } as never;

async function transfer(chunks: Uint8Array[]): Promise<{ received: number; updatesFromReceiver: number }> {
  updateWindowsAtHalf();
  const toServer = wire();
  const toClient = wire();
  const fromServer: Uint8Array[] = [];
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const client = yamux()(components).createStreamMuxer({ direction: "outbound" });
  const server = yamux()(components).createStreamMuxer({
    direction: "inbound",
    onIncomingStream: (stream) =>
      void (async () => {
        for await (const c of stream.source) {
          received += c.byteLength;
          if (received >= total) done();
        }
      })(),
  });
  void (async () => {
    for await (const c of client.source as AsyncIterable<Chunk>) toServer.push(c);
  })();
  void (async () => {
    for await (const c of server.source as AsyncIterable<Chunk>) {
      const bytes = c instanceof Uint8Array ? c : c.subarray();
      fromServer.push(bytes.slice());
      toClient.push(bytes);
    }
  })();
  void client.sink(toClient.read);
  void server.sink(toServer.read);
  const stream = await client.newStream();
  await stream.sink(
    (async function* () {
      yield* chunks;
    })(),
  );
  await Promise.race([all, Bun.sleep(5000)]);
  const wireBytes = Buffer.concat(fromServer);
  toServer.end();
  toClient.end();
  return { received, updatesFromReceiver: frameTypes(wireBytes).filter((t) => t === WINDOW_UPDATE).length };
}

test("three hundred gossip-sized messages get one window update (the stream's ACK), not one each", async () => {
  const r = await transfer(Array.from({ length: 300 }, () => new Uint8Array(500)));
  expect(r.received).toBe(300 * 500);
  expect(r.updatesFromReceiver).toBeLessThanOrEqual(2);
});

test("four windows' worth goes through: the sender is unblocked at each half window", async () => {
  const r = await transfer(Array.from({ length: 64 }, () => new Uint8Array(WINDOW / 16)));
  expect(r.received).toBe(4 * WINDOW);
  expect(r.updatesFromReceiver).toBeGreaterThanOrEqual(4);
});
