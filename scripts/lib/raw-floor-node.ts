// One node of the runtime's floor for walrus's traffic, without libp2p: the same layout, topics
// and rates as bus-floor-node.ts, over plain TCP. Each message is signed by its author
// (Ed25519) and checked by its reader (the key cached per author), each frame sealed with
// AES-256-GCM (noise's ChaCha20-Poly1305 is not in Bun's node:crypto) under a key from the site
// secret. Every node dials the area nodes and sends each message straight to every connected
// node that reads its topic, so nothing is relayed. What it costs is what Bun itself needs to
// carry walrus's messages; the bus's cost above it is libp2p's and gossipsub's.
//   raw-floor-node <config.json>   (config: FloorNodeConfig)
import { createCipheriv, createDecipheriv, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SocketHandler } from "bun";
import { TOPICS, topicsRead, type Topic } from "../../src/net/bus.ts";
import type { FloorNodeConfig } from "./bus-floor-node.ts";

const REPORT_EVERY_MS = 5000;
const REDIAL_MS = 500;
const IV = 12;
const TAG = 16;
const PUB = 32;
const SIG = 64;
// An Ed25519 public key's SPKI DER is this prefix and its 32 bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

const path = process.argv[2];
if (!path) throw new Error("usage: raw-floor-node <config.json>");
const config = JSON.parse(readFileSync(path, "utf8")) as FloorNodeConfig;
const key = createHash("sha256").update(readFileSync(config.secretFile)).digest();
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const self = publicKey.export({ type: "spki", format: "der" }).subarray(-PUB);
const reads = new Set<Topic>(topicsRead(config.kind === "area" ? ["controller", "nameserver"] : ["reporter"]));

interface Peer {
  send: (frame: Buffer) => void;
  reads: Set<Topic> | undefined; // learnt from its hello
}
const peers = new Set<Peer>();
const authors = new Map<string, KeyObject>();
let received = 0;
let seq = 0n;

function seal(plain: Buffer): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function open(body: Buffer): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, body.subarray(0, IV));
  d.setAuthTag(body.subarray(body.length - TAG));
  return Buffer.concat([d.update(body.subarray(IV, body.length - TAG)), d.final()]);
}

// A hello says which topics the sender reads: [0, mask]. A message: [1, topic, author 32, seq 8, payload, sig 64].
const hello = () => seal(Buffer.from([0, TOPICS.reduce((m, t, i) => (reads.has(t) ? m | (1 << i) : m), 0)]));

function take(peer: Peer, plain: Buffer): void {
  if (plain[0] === 0) {
    peer.reads = new Set(TOPICS.filter((_, i) => ((plain[1] ?? 0) >> i) & 1));
    return;
  }
  const author = plain.subarray(2, 2 + PUB);
  const id = author.toString("latin1");
  let pub = authors.get(id);
  if (!pub) authors.set(id, (pub = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, author]), format: "der", type: "spki" })));
  const signed = plain.subarray(0, plain.length - SIG);
  if (!verify(null, signed, pub, plain.subarray(plain.length - SIG))) throw new Error("bad signature");
  received++;
}

/** Splits a byte stream into frames and hands each opened frame to `take`. */
function reader(peer: Peer): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (buf.length < 4 + len) break;
      take(peer, open(buf.subarray(4, 4 + len)));
      buf = buf.subarray(4 + len);
    }
  };
}

type Conn = { peer: Peer; read: (chunk: Buffer) => void };
const connection = (onClose?: () => void): SocketHandler<Conn> => ({
  open(s) {
    const peer: Peer = { send: (f) => void s.write(f), reads: undefined };
    s.data = { peer, read: reader(peer) };
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

function publish(topic: Topic, payload: Buffer): void {
  const head = Buffer.alloc(2 + PUB + 8);
  head[0] = 1;
  head[1] = TOPICS.indexOf(topic);
  self.copy(head, 2);
  head.writeBigUInt64BE(++seq, 2 + PUB);
  const signed = Buffer.concat([head, payload]);
  const frame = seal(Buffer.concat([signed, sign(null, signed, privateKey)]));
  for (const p of peers) if (p.reads?.has(topic)) p.send(frame);
}

for (const { topic, perSecond, bytes } of config.publishing) {
  const everyMs = 1000 / perSecond;
  setTimeout(() => setInterval(() => publish(topic, randomBytes(bytes)), everyMs), Math.random() * everyMs);
}
setInterval(() => console.log(`received ${received} ${Date.now()}`), REPORT_EVERY_MS);
