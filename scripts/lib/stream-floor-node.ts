// One node of libp2p's floor for walrus's traffic without gossipsub: the same layout, topics
// and rates as bus-floor-node.ts, over libp2p connections made as walrus makes them (TCP,
// noise with the site prologue, yamux with the quiet probe) but with no pubsub: each node opens
// one long-lived stream of its own protocol to each area node it dials and writes every
// message there, length-prefixed, signed by its author (Ed25519) and checked by its reader
// (the key cached per author). Nothing is relayed: a reporter's messages go straight to the
// area nodes, an area node's to the other area nodes. What it costs above plain TCP
// (raw-floor-node.ts) is libp2p's connections; what the bus costs above it is gossipsub's.
//   stream-floor-node <config.json>   (config: FloorNodeConfig)
import { identify } from "@libp2p/identify";
import type { Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { readFileSync } from "node:fs";
import { noise } from "@chainsafe/libp2p-noise";
import { NOISE_CRYPTO, sitePrologue } from "../../src/net/libp2p-bus.ts";
import { PROBE_EVERY_MS, quietProbe } from "../../src/net/quiet-probe.ts";
import { tcpWithoutSocketSignal } from "../../src/net/tcp-transport.ts";
import { updateWindowsAtHalf } from "../../src/net/yamux-window.ts";
import { floorConfig, framed, messageChecker, messageSigner, printReceived, publishAtRates, unframer } from "./floor-message.ts";

const PROTOCOL = "/walrus-floor/1";
const REDIAL_MS = 500;

const config = floorConfig("stream-floor-node");
const signed = messageSigner();
const check = messageChecker();
let received = 0;

updateWindowsAtHalf();
const probe = quietProbe();
const node = await createLibp2p({
  addresses: { listen: config.listen },
  transports: [tcpWithoutSocketSignal()],
  connectionEncrypters: [noise({ crypto: NOISE_CRYPTO, prologueBytes: sitePrologue(readFileSync(config.secretFile)) })],
  streamMuxers: [probe.muxer],
  connectionManager: { inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 256 },
  connectionMonitor: { enabled: false },
  services: { identify: identify() },
} as Parameters<typeof createLibp2p>[0]);
node.addEventListener("connection:open", (evt) => probe.adopt(evt.detail));
setInterval(() => probe.look(node.getConnections(), (conn, err) => conn.abort(err)), PROBE_EVERY_MS);

async function readAll(source: AsyncIterable<{ subarray(): Uint8Array }>): Promise<void> {
  const read = unframer((m) => {
    check(m);
    received++;
  });
  for await (const chunk of source) read(chunk.subarray());
}
await node.handle(PROTOCOL, ({ stream }) => void readAll(stream.source).catch(() => {}), { maxInboundStreams: 256 });

/** What a stream's sink reads: the messages pushed, as they come. */
function outbox(): { push(m: Uint8Array): void; messages(): AsyncGenerator<Uint8Array> } {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  return {
    push(m) {
      queue.push(m);
      wake?.();
    },
    async *messages() {
      for (;;) {
        while (queue.length) yield* queue.splice(0);
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}

// One outgoing stream to each area node this node dials (area nodes dial each other both ways).
const outs = new Set<ReturnType<typeof outbox>>();
for (const addr of config.bootstrap) {
  const open = async (): Promise<void> => {
    let stream: Stream;
    try {
      stream = await node.dialProtocol(multiaddr(addr), PROTOCOL);
    } catch {
      setTimeout(() => void open(), REDIAL_MS);
      return;
    }
    const out = outbox();
    outs.add(out);
    void stream
      .sink(out.messages())
      .catch(() => {})
      .finally(() => {
        outs.delete(out);
        setTimeout(() => void open(), REDIAL_MS);
      });
  };
  void open();
}

publishAtRates(config, (topic, payload) => {
  const frame = framed(signed(topic, payload));
  for (const out of outs) out.push(frame);
});
printReceived(() => received);
