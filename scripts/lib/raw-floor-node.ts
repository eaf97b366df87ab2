// One node of the runtime's floor for walrus's traffic, without libp2p: the same layout, topics
// and rates as bus-floor-node.ts, over plain TCP. Each message is signed by its author
// (Ed25519) and checked by its reader (the key cached per author), each frame sealed with
// AES-256-GCM (noise's ChaCha20-Poly1305 is not in Bun's node:crypto) under a key from the site
// secret. Every node dials the area nodes and sends each message straight to every connected
// node that reads its topic, so nothing is relayed. What it costs is what Bun itself needs to
// carry walrus's messages; the bus's cost above it is libp2p's and gossipsub's.
//   raw-floor-node <config.json>   (config: FloorNodeConfig)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SocketHandler } from "bun";
import { TOPICS, topicsRead, type Topic } from "../../src/net/bus.ts";
import { floorConfig, framed, messageChecker, messageSigner, printReceived, publishAtRates, unframer } from "./floor-message.ts";

const REDIAL_MS = 500;
const IV = 12;
const TAG = 16;
const HELLO = 0;
const MESSAGE = 1;

const config = floorConfig("raw-floor-node");
const key = createHash("sha256").update(readFileSync(config.secretFile)).digest();
const reads = new Set<Topic>(topicsRead(config.kind === "area" ? ["controller", "nameserver"] : ["reporter"]));
const signed = messageSigner();
const check = messageChecker();

interface Peer {
  send: (frame: Buffer) => void;
  reads: Set<Topic> | undefined; // learnt from its hello
}
const peers = new Set<Peer>();
let received = 0;

/** A frame's body: [iv, the sealed [kind, ...], tag]. */
function seal(plain: Buffer): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv("aes-256-gcm", key, iv);
  return framed(Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]));
}

function open(body: Buffer): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, body.subarray(0, IV));
  d.setAuthTag(body.subarray(body.length - TAG));
  return Buffer.concat([d.update(body.subarray(IV, body.length - TAG)), d.final()]);
}

// A hello says which topics the sender reads: [HELLO, mask]; then [MESSAGE, message].
const hello = () => seal(Buffer.from([HELLO, TOPICS.reduce((m, t, i) => (reads.has(t) ? m | (1 << i) : m), 0)]));

function take(peer: Peer, plain: Buffer): void {
  if (plain[0] === HELLO) {
    peer.reads = new Set(TOPICS.filter((_, i) => ((plain[1] ?? 0) >> i) & 1));
    return;
  }
  check(plain.subarray(1));
  received++;
}

type Conn = { peer: Peer; read: (chunk: Uint8Array) => void };
const connection = (onClose?: () => void): SocketHandler<Conn> => ({
  open(s) {
    const peer: Peer = { send: (f) => void s.write(f), reads: undefined };
    s.data = { peer, read: unframer((body) => take(peer, open(body))) };
    peers.add(peer);
    s.write(hello());
  },
  data: (s, chunk) => s.data.read(chunk),
  close(s) {
    peers.delete(s.data.peer);
    onClose?.();
  },
});
const portOf = (addr: string) => Number(addr.split("/")[4]);

const own = portOf(config.listen[0] as string);
Bun.listen<Conn>({ hostname: "127.0.0.1", port: own, socket: connection() });
// Area nodes dial the area nodes listed before them, reporters every area node: one connection a pair.
for (const addr of config.bootstrap) {
  const to = portOf(addr);
  if (config.kind === "area" && to > own) continue;
  const dial = (): void =>
    void Bun.connect<Conn>({ hostname: "127.0.0.1", port: to, socket: connection(() => setTimeout(dial, REDIAL_MS)) }).catch(() => setTimeout(dial, REDIAL_MS));
  dial();
}

publishAtRates(config, (topic, payload) => {
  const frame = seal(Buffer.concat([Buffer.from([MESSAGE]), signed(topic, payload)]));
  for (const p of peers) if (p.reads?.has(topic)) p.send(frame);
});
printReceived(() => received);
