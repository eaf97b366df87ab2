// What the floor nodes share: their config, publishing at the simulated rates, the
// "received N T" line bench-scale reads; and for those that carry messages themselves
// (stream-floor-node.ts, raw-floor-node.ts) signed messages and length-prefixed framing.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { TOPICS, type Topic } from "../../src/net/bus.ts";
import type { Publishing } from "./scale-sim.ts";

export interface FloorNodeConfig {
  secretFile: string;
  listen: string[];
  bootstrap: string[];
  kind: "area" | "reporter";
  publishing: Publishing;
}

const REPORT_EVERY_MS = 5000;
const PUB = 32;
const SIG = 64;
// An Ed25519 public key's SPKI DER is this prefix and its 32 bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The config file named on the command line of `program`. */
export function floorConfig(program: string): FloorNodeConfig {
  const path = process.argv[2];
  if (!path) throw new Error(`usage: ${program} <config.json>`);
  return JSON.parse(readFileSync(path, "utf8")) as FloorNodeConfig;
}

/** Makes this node's messages: [topic, author 32, seq 8, payload, sig 64], signed with a fresh Ed25519 key. */
export function messageSigner(): (topic: Topic, payload: Buffer) => Buffer {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const self = publicKey.export({ type: "spki", format: "der" }).subarray(-PUB);
  let seq = 0n;
  return (topic, payload) => {
    const head = Buffer.alloc(1 + PUB + 8);
    head[0] = TOPICS.indexOf(topic);
    self.copy(head, 1);
    head.writeBigUInt64BE(++seq, 1 + PUB);
    const signed = Buffer.concat([head, payload]);
    return Buffer.concat([signed, sign(null, signed, privateKey)]);
  };
}

/** Checks a message's signature against its author's key (cached per author); throws on a bad one. */
export function messageChecker(): (m: Buffer) => void {
  const authors = new Map<string, KeyObject>();
  return (m) => {
    const author = m.subarray(1, 1 + PUB);
    const id = author.toString("latin1");
    let key = authors.get(id);
    if (!key) authors.set(id, (key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, author]), format: "der", type: "spki" })));
    if (!verify(null, m.subarray(0, m.length - SIG), key, m.subarray(m.length - SIG))) throw new Error("bad signature");
  };
}

/** A frame: 4 bytes of length, then the body. */
export function framed(body: Buffer): Buffer {
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length);
  body.copy(frame, 4);
  return frame;
}

/** Splits a byte stream into frames and hands each body to `take`. */
export function unframer(take: (body: Buffer) => void): (chunk: Uint8Array) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const end = 4 + buf.readUInt32BE(0);
      take(buf.subarray(4, end));
      buf = buf.subarray(end);
    }
  };
}

/** Publishes random payloads at the config's rates and sizes, each topic at a random phase (nodes start at different times). */
export function publishAtRates(config: FloorNodeConfig, publish: (topic: Topic, payload: Buffer) => void): void {
  for (const { topic, perSecond, bytes } of config.publishing) {
    const everyMs = 1000 / perSecond;
    setTimeout(() => setInterval(() => publish(topic, randomBytes(bytes)), everyMs), Math.random() * everyMs);
  }
}

/** Prints "received N T" every 5 s: messages received so far, at T (ms since the epoch). */
export function printReceived(count: () => number): void {
  setInterval(() => console.log(`received ${count()} ${Date.now()}`), REPORT_EVERY_MS);
}
