// With tcp-transport.ts, peer-keys.ts, yamux-window.ts and quiet-probe.ts, the only modules that import libp2p: moving to another libp2p line is a change here.
// The pinned versions (libp2p 2.9, gossipsub 14.1) are the last that work together; see README.
import { gossipsub } from "@chainsafe/libp2p-gossipsub";
import { noise } from "@chainsafe/libp2p-noise";
import { asCrypto, defaultCrypto } from "@chainsafe/libp2p-noise/crypto";
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import { StrictSign, TopicValidatorResult } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { createHmac } from "node:crypto";
import { peerIdText, type PeerIdText } from "../core/types.ts";
import { TOPICS, type Bus, type BusMessage, type PeerEvent, type Topic, type Verdict } from "./bus.ts";
import { PROBE_EVERY_MS, quietProbe } from "./quiet-probe.ts";
import { tcpWithoutSocketSignal } from "./tcp-transport.ts";
import { updateWindowsAtHalf } from "./yamux-window.ts";

const TOPIC_PREFIX = "walrus/v1/";
const VALIDATOR_RESULT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};
/** Gossip messages above this are dropped before decoding (reports and assignments are far smaller). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Noise seals frames of 1200 bytes and more with node:crypto's chacha20-poly1305, which Bun
 * lacks ("Unknown cipher"): the connection died at the first larger gossip frame (a heartbeat
 * carrying grants, a batch of messages after a restart). Its WebAssembly cipher seals every size. */
export const NOISE_CRYPTO = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt: asCrypto.chaCha20Poly1305Encrypt,
  chaCha20Poly1305Decrypt: asCrypto.chaCha20Poly1305Decrypt,
};
const DIAL_TIMEOUT_MS = 3000;
const REDIAL_MIN_MS = 250;
// Short cap: after a partition heals, the sides must find each other again within seconds.
const REDIAL_MAX_MS = 2000;

/**
 * Gossipsub's parameters for sites of 3 to 500 nodes. Only controllers and nameservers read the
 * busy topics (bus.ts, topicsRead): their mesh holds the site's area nodes, a few to a few dozen, and
 * every reporter publishes straight to the readers it is connected to (fanout).
 *   D 6, Dlo 4, Dhi 12 (gossipsub's own): up to 7 area nodes form a full mesh; a larger site's
 *     mesh stays connected with each message sent ~6 times, not once per reader.
 *   floodPublish (on): a node's own messages go to every reader it is connected to at once,
 *     so a heartbeat or report never waits for a mesh hop.
 *   heartbeatInterval 1 s: mesh upkeep and IHAVE gossip, not delivery; a mesh broken by a
 *     partition is repaired within a second or two of the heal.
 *   mcacheLength 5, mcacheGossip 3: five heartbeats (5 s) of messages kept for IWANT, three
 *     of them announced; at 500 servers an area node holds about 5 × 1,500 messages.
 *   seenTTL 30 s (gossipsub's default is 2 min): the duplicate filter holds 30 s of message ids.
 *     A copy later than that is judged again and refused as stale (heartbeats by their stamp,
 *     reports by seq, assignments by epoch and seq), so the longer window buys nothing and
 *     costs 4× the memory.
 *   fanoutTTL 60 s: a reporter keeps its fanout peers between reports.
 *   IPColocationFactorWeight 0 (gossipsub's: −5 × (peers on one address − 10)²): a Sybil defence
 *     for open networks. A walrus peer must hold the site secret and signs what it says, and many
 *     share an address behind a NAT, on one test host or on loopback: with the penalty, every
 *     peer from the 14th on one address was graylisted and its messages dropped.
 */
const GOSSIP_PARAMETERS = {
  D: 6,
  Dlo: 4,
  Dhi: 12,
  floodPublish: true,
  heartbeatInterval: 1000,
  mcacheLength: 5,
  mcacheGossip: 3,
  seenTTL: 30_000,
  fanoutTTL: 60_000,
  scoreParams: { IPColocationFactorWeight: 0 },
  fastMsgIdFn: authorAndSeqno,
};

/**
 * The duplicate filter's key, read from the raw message before its signature is checked. Every
 * message reaches an area node once from its author and once more from each other area node;
 * without this key gossipsub verified every copy's Ed25519 signature (about 120 µs in Bun)
 * before finding it seen. Author and seqno are what the message id is made of under StrictSign,
 * and a copy that fails its check is never remembered under its key, so a forged copy cannot
 * shadow the real message. The author's length goes first so no two (author, seqno) pairs
 * give one key.
 */
export function authorAndSeqno(msg: { from?: Uint8Array; seqno?: Uint8Array }): string {
  const { from, seqno } = msg;
  if (!from || !seqno) return "";
  return (
    String.fromCharCode(from.byteLength) +
    Buffer.from(from.buffer, from.byteOffset, from.byteLength).toString("latin1") +
    Buffer.from(seqno.buffer, seqno.byteOffset, seqno.byteLength).toString("latin1")
  );
}

export interface Libp2pBusInit {
  /** Protobuf bytes of the node's private key (see identity.ts). */
  identityKey: Uint8Array;
  /** The site's shared secret: only holders can connect (it is the noise handshake's prologue). */
  siteSecret: Uint8Array;
  listen: string[];
  bootstrap: string[];
  /** What this node subscribes to (topicsRead in bus.ts); it may publish to any topic. */
  reads: readonly Topic[];
  /** Accepts or rejects a message before gossipsub forwards it; a reject is counted by the caller. */
  accept: (topic: Topic, data: Uint8Array, from: PeerIdText) => Verdict;
  onError: (what: string, err: unknown) => void;
  /** A bootstrap address that did not answer: expected while a partition lasts, so not an error. */
  onUnreachable?: (address: string, err: unknown) => void;
}

/**
 * The noise handshake's prologue, from the site secret. Both ends mix it into the handshake hash,
 * so a peer without the secret fails the handshake and never gets a stream. It replaces a libp2p
 * private network (pnet), which re-encrypted every frame in JavaScript on top of noise: about a
 * tenth of an area node's CPU (README). What a stranger still gets is a handshake's start: that this is
 * a noise endpoint, the node's peer id, and two X25519 operations of its time per attempt.
 */
export function sitePrologue(secret: Uint8Array): Uint8Array {
  return createHmac("sha256", secret).update("walrus-noise-prologue-v1").digest();
}

export async function startLibp2pBus(init: Libp2pBusInit): Promise<Bus> {
  updateWindowsAtHalf();
  const probe = quietProbe();
  const privateKey = privateKeyFromProtobuf(init.identityKey) as unknown as PrivateKey; // two copies of @libp2p/interface types
  const node: Libp2p<{ pubsub: ReturnType<ReturnType<typeof gossipsub>> }> = (await createLibp2p({
    privateKey,
    addresses: { listen: init.listen },
    transports: [tcpWithoutSocketSignal()],
    connectionEncrypters: [noise({ crypto: NOISE_CRYPTO, prologueBytes: sitePrologue(init.siteSecret) })],
    streamMuxers: [probe.muxer],
    // libp2p refuses a host's sixth inbound connection within a second; on a shared host
    // (the demo, tests, several nodes behind one NAT) that would churn connections for ever.
    connectionManager: { inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 256, dialTimeout: DIAL_TIMEOUT_MS },
    // A frozen or cut-off peer's connection is found by quiet-probe.ts instead, for less.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true, // the first node of a site is alone
        globalSignaturePolicy: StrictSign,
        emitSelf: false,
        maxInboundDataLength: MAX_MESSAGE_BYTES,
        ...GOSSIP_PARAMETERS,
      }),
    },
  } as Parameters<typeof createLibp2p>[0])) as never;

  const self = peerIdText(node.peerId.toString());
  const messageHandlers: ((m: BusMessage) => void)[] = [];
  const peerHandlers: ((e: PeerEvent) => void)[] = [];
  const deliver = (m: BusMessage) => {
    for (const h of messageHandlers) {
      try {
        h(m);
      } catch (err) {
        init.onError(`handling ${m.topic} message`, err);
      }
    }
  };

  const pubsub = node.services.pubsub;
  for (const topic of TOPICS) {
    const name = TOPIC_PREFIX + topic;
    // The validator's first argument is the peer that forwarded the message, not its author:
    // claims are judged against the author, whose signature the message carries (StrictSign).
    pubsub.topicValidators.set(name, (_forwarder: PeerId, msg: { type: string; data: Uint8Array; from?: PeerId }) =>
      msg.type === "signed" && msg.from ? VALIDATOR_RESULT[init.accept(topic, msg.data, peerIdText(msg.from.toString()))] : TopicValidatorResult.Reject,
    );
    if (init.reads.includes(topic)) pubsub.subscribe(name);
  }
  pubsub.addEventListener("message", (evt) => {
    const msg = evt.detail;
    if (msg.type !== "signed" || !msg.topic.startsWith(TOPIC_PREFIX)) return;
    deliver({ topic: msg.topic.slice(TOPIC_PREFIX.length) as Topic, data: msg.data, from: peerIdText(msg.from.toString()) });
  });
  const emitPeer = (peer: PeerId, connected: boolean) => {
    for (const h of peerHandlers) h({ peer: peerIdText(peer.toString()), connected });
  };
  node.addEventListener("peer:connect", (evt) => emitPeer(evt.detail, true));
  node.addEventListener("peer:disconnect", (evt) => emitPeer(evt.detail, false));

  node.addEventListener("connection:open", (evt) => probe.adopt(evt.detail));
  const probing = setInterval(() => probe.look(node.getConnections(), (conn, err) => conn.abort(err)), PROBE_EVERY_MS);
  const stopDialing = keepDialing(node, init.bootstrap, init.onUnreachable ?? ((address, err) => init.onError(`dialing ${address}`, err)));

  return {
    self,
    publish(topic, data) {
      deliver({ topic, data, from: self });
      pubsub.publish(TOPIC_PREFIX + topic, data).catch((err: unknown) => init.onError(`publishing ${topic}`, err));
    },
    onMessage: (h) => void messageHandlers.push(h),
    onPeer: (h) => void peerHandlers.push(h),
    connectedPeers: () => node.getPeers().map((p) => peerIdText(p.toString())),
    listenAddresses: () => node.getMultiaddrs().map((a) => a.toString()),
    async stop() {
      clearInterval(probing);
      stopDialing();
      // Close every connection at once: a polite close waits for peers a partition cut off,
      // and they see the socket close either way.
      for (const c of node.getConnections()) c.abort(new Error("node stopping"));
      await node.stop();
    },
  };
}

/**
 * Static bootstrap: keep a connection to every configured address, redialing with
 * exponential backoff. Addresses may omit /p2p/<id>: the noise handshake learns it.
 */
function keepDialing(node: Libp2p, addresses: string[], onUnreachable: (address: string, err: unknown) => void): () => void {
  let stopped = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  for (const address of addresses) {
    const target = multiaddr(address);
    let peer: PeerId | undefined;
    let backoffMs = REDIAL_MIN_MS;
    const attempt = async () => {
      if (stopped) return;
      // Looked up by peer (a map), not by scanning every connection: this runs each second per address.
      const connected = peer !== undefined && node.getConnections(peer).length > 0;
      if (connected) {
        backoffMs = REDIAL_MIN_MS;
      } else {
        try {
          // No abort signal here: under Bun the TCP transport hands it to the socket, which
          // then dies when the signal fires long after the dial (connectionManager.dialTimeout bounds it).
          const conn = await node.dial(target);
          peer = conn.remotePeer;
          backoffMs = REDIAL_MIN_MS;
        } catch (err) {
          backoffMs = Math.min(backoffMs * 2, REDIAL_MAX_MS);
          if (backoffMs === REDIAL_MAX_MS) onUnreachable(address, err);
        }
      }
      if (stopped) return;
      const t = setTimeout(
        () => {
          timers.delete(t);
          void attempt();
        },
        connected ? REDIAL_MIN_MS * 4 : backoffMs,
      );
      timers.add(t);
    };
    void attempt();
  }
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
  };
}
