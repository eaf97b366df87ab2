// The probe on two js-yamux muxers joined in memory: a connection that hears its peer is left
// alone, a quiet one is pinged with one frame, and one whose peer stopped answering is aborted.
import { expect, test } from "bun:test";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Connection, Stream } from "@libp2p/interface";
import { quietProbe } from "../../../src/net/quiet-probe.ts";
import { components, frameTypes, yamuxPair } from "./yamux-pair.ts";

const PING = 2;
const QUIET_MS = 300;
const ANSWER_MS = 300;

async function connected(serverStream: (s: Stream) => void = () => {}) {
  const probe = quietProbe({ quietMs: QUIET_MS, answerMs: ANSWER_MS });
  const pair = yamuxPair(probe.muxer(components), yamux()(components), serverStream);
  const stream = await pair.client.newStream();
  // The stream opens with its first bytes; yamux pings once at the start (its RTT): let both pass.
  void stream.sink(
    (async function* () {
      yield new Uint8Array(1);
    })(),
  );
  await Bun.sleep(20);
  const atStart = frameTypes(Buffer.concat(pair.fromClient)).filter((t) => t === PING).length;
  const aborted: Error[] = [];
  const conn = { status: "open", streams: [stream], abort: (err: Error) => void aborted.push(err) } as unknown as Connection;
  const look = () => probe.look([conn], (c, err) => c.abort(err));
  const pings = () => frameTypes(Buffer.concat(pair.fromClient)).filter((t) => t === PING).length - atStart;
  return { pair, look, pings, aborted };
}

test("a connection that hears its peer is not pinged", async () => {
  const c = await connected((s) => {
    void s.sink(
      (async function* () {
        for (let i = 0; i < 40; i++) {
          yield new Uint8Array(10);
          await Bun.sleep(25);
        }
      })(),
    );
  });
  // Longer than QUIET_MS, with the peer's bytes every 25 ms.
  for (let i = 0; i < 8; i++) {
    await Bun.sleep(100);
    c.look();
  }
  expect(c.pings()).toBe(0);
  expect(c.aborted).toEqual([]);
  c.pair.close();
});

test("a quiet connection whose peer answers is pinged once per quiet spell, and stays", async () => {
  const c = await connected();
  await Bun.sleep(QUIET_MS + 20);
  c.look();
  await Bun.sleep(50);
  // The answer counts as hearing the peer: quiet again only QUIET_MS after it.
  c.look();
  await Bun.sleep(20);
  expect(c.pings()).toBe(1);
  await Bun.sleep(QUIET_MS);
  c.look();
  await Bun.sleep(ANSWER_MS + 50);
  expect(c.pings()).toBe(2);
  expect(c.aborted).toEqual([]);
  c.pair.close();
});

test("a peer that stopped answering has its connection aborted after the answer time", async () => {
  const c = await connected();
  c.pair.silenceServer();
  await Bun.sleep(QUIET_MS + 20);
  c.look();
  c.look(); // a probe under way is not sent twice
  await Bun.sleep(20);
  expect(c.aborted).toEqual([]);
  await Bun.sleep(ANSWER_MS + 50);
  expect(c.pings()).toBe(1);
  expect(c.aborted.map((e) => e.message)).toEqual([`no answer to a ping within ${ANSWER_MS} ms`]);
  c.pair.close();
});

test("a connection without streams is probed through the muxer it opened with", async () => {
  // A cut-off connection whose streams were all closed escaped a probe that found muxers only
  // through streams: it lingered, and the heal never redialed (faults.test.ts caught it).
  const probe = quietProbe({ quietMs: QUIET_MS, answerMs: ANSWER_MS });
  const pair = yamuxPair(probe.muxer(components), yamux()(components), () => {});
  const aborted: Error[] = [];
  const conn = { status: "open", streams: [], abort: (err: Error) => void aborted.push(err) } as unknown as Connection;
  probe.adopt(conn);
  pair.silenceServer();
  await Bun.sleep(QUIET_MS + 20);
  probe.look([conn], (c, err) => c.abort(err));
  await Bun.sleep(ANSWER_MS + 50);
  expect(aborted.map((e) => e.message)).toEqual([`no answer to a ping within ${ANSWER_MS} ms`]);
  pair.close();
});
