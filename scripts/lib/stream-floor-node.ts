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
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { noise } from "@chainsafe/libp2p-noise";
import { TOPICS, type Topic } from "../../src/net/bus.ts";
import { NOISE_CRYPTO, sitePrologue } from "../../src/net/libp2p-bus.ts";
import { PROBE_EVERY_MS, quietProbe } from "../../src/net/quiet-probe.ts";
import { tcpWithoutSocketSignal } from "../../src/net/tcp-transport.ts";
import { updateWindowsAtHalf } from "../../src/net/yamux-window.ts";
import type { FloorNodeConfig } from "./bus-floor-node.ts";

const PROTOCOL = "/walrus-floor/1";
const REPORT_EVERY_MS = 5000;
const REDIAL_MS = 500;
const PUB = 32;
const SIG = 64;
// An Ed25519 public key's SPKI DER is this prefix and its 32 bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const path = process.argv[2];
if (!path) throw new Error("usage: stream-floor-node <config.json>");
const config = JSON.parse(readFileSync(path, "utf8")) as FloorNodeConfig;
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const self = publicKey.export({ type: "spki", format: "der" }).subarray(-PUB);
const authors = new Map<string, KeyObject>();
let received = 0;
let seq = 0n;

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

// A message, after its 4-byte length: [topic, author 32, seq 8, payload, sig 64].
function take(m: Buffer): void {
  const author = m.subarray(1, 1 + PUB);
  const id = author.toString("latin1");
  let pub = authors.get(id);
  if (!pub) authors.set(id, (pub = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, author]), format: "der", type: "spki" })));
  if (!verify(null, m.subarray(0, m.length - SIG), pub, m.subarray(m.length - SIG))) throw new Error("bad signature");
  received++;
}

/** Splits a stream's bytes into length-prefixed messages and takes each. */
async function readAll(source: AsyncIterable<{ subarray(): Uint8Array }>): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    buf = Buffer.concat([buf, chunk.subarray()]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      take(buf.subarray(4, 4 + buf.readUInt32BE(0)));
      buf = buf.subarray(4 + buf.readUInt32BE(0));
    }
  }
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

function publish(topic: Topic, payload: Buffer): void {
  const head = Buffer.alloc(1 + PUB + 8);
  head[0] = TOPICS.indexOf(topic);
  self.copy(head, 1);
  head.writeBigUInt64BE(++seq, 1 + PUB);
  const signed = Buffer.concat([head, payload]);
  const body = Buffer.concat([signed, sign(null, signed, privateKey)]);
  const msg = Buffer.alloc(4 + body.length);
  msg.writeUInt32BE(body.length);
  body.copy(msg, 4);
  for (const out of outs) out.push(msg);
}

for (const { topic, perSecond, bytes } of config.publishing) {
  const everyMs = 1000 / perSecond;
  setTimeout(() => setInterval(() => publish(topic, randomBytes(bytes)), everyMs), Math.random() * everyMs);
}
setInterval(() => console.log(`received ${received} ${Date.now()}`), REPORT_EVERY_MS);
