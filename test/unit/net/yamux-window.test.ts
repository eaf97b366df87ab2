// Window updates go out at half use, and a transfer far larger than a stream's window still
// completes (the receiver's update is what the sender waits on).
import { expect, test } from "bun:test";
import { yamux } from "@chainsafe/libp2p-yamux";
import { updateWindowsAtHalf } from "../../../src/net/yamux-window.ts";
import { components, frameTypes, yamuxPair } from "./yamux-pair.ts";

const WINDOW = 256 * 1024;
const WINDOW_UPDATE = 1;

async function transfer(chunks: Uint8Array[]): Promise<{ received: number; updatesFromReceiver: number }> {
  updateWindowsAtHalf();
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  let received = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const pair = yamuxPair(yamux()(components), yamux()(components), (stream) => {
    void (async () => {
      for await (const c of stream.source) {
        received += c.byteLength;
        if (received >= total) done();
      }
    })();
  });
  const stream = await pair.client.newStream();
  await stream.sink(
    (async function* () {
      yield* chunks;
    })(),
  );
  await Promise.race([all, Bun.sleep(5000)]);
  pair.close();
  return { received, updatesFromReceiver: frameTypes(Buffer.concat(pair.fromServer)).filter((t) => t === WINDOW_UPDATE).length };
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
