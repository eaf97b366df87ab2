// An in-memory network of buses for the simulator: every published message goes to every
// other live node on the same side of any partition, each copy independently lost, delayed
// (which reorders), or duplicated, as the seeded faults say. Partitions, crashes and heals
// raise the connection events libp2p would raise.
import { peerIdText, type PeerIdText } from "../core/types.ts";
import { TOPICS, type Bus, type BusMessage, type PeerEvent, type Topic } from "../net/bus.ts";
import { between, type Random } from "./prng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface LinkFaults {
  lossRate: number;
  duplicateRate: number;
  delayMinMs: number;
  delayMaxMs: number;
}

interface Endpoint {
  peer: PeerIdText;
  up: boolean;
  side: number;
  /** Topics the node reads; gossipsub sends it nothing else. */
  reads: ReadonlySet<Topic>;
  messageHandlers: ((m: BusMessage) => void)[];
  peerHandlers: ((e: PeerEvent) => void)[];
}

export class MemoryNetwork {
  private readonly endpoints = new Map<PeerIdText, Endpoint>();
  faults: LinkFaults = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 5 };
  delivered = 0;
  lost = 0;
  /** Copies delivered to each node (by name), by topic: the scale benchmark's message counts. */
  readonly deliveredTo = new Map<string, Partial<Record<Topic, number>>>();
  /** Messages each node published (by name), by topic, with their bytes: the scale benchmark's bus-alone traffic. */
  readonly publishedBy = new Map<string, Partial<Record<Topic, { count: number; bytes: number }>>>();

  constructor(
    private readonly sched: Scheduler,
    private readonly random: Random,
  ) {}

  /** Brings a node (back) up with a fresh bus, as a restarted process would have. */
  attach(name: string, reads: readonly Topic[] = TOPICS): Bus {
    const peer = peerIdText(`peer-${name}`);
    const old = this.endpoints.get(peer);
    const ep: Endpoint = { peer, up: true, side: old?.side ?? 0, reads: new Set(reads), messageHandlers: [], peerHandlers: [] };
    this.endpoints.set(peer, ep);
    for (const other of this.reachable(ep)) {
      this.emitPeer(other, ep.peer, true);
      this.emitPeer(ep, other.peer, true);
    }
    return {
      self: peer,
      publish: (topic, data) => this.publish(ep, topic, data),
      onMessage: (h) => void ep.messageHandlers.push(h),
      onPeer: (h) => void ep.peerHandlers.push(h),
      connectedPeers: () => this.reachable(ep).map((e) => e.peer),
      listenAddresses: () => [`/memory/${name}`],
      stop: async () => this.crash(name),
    };
  }

  crash(name: string): void {
    const ep = this.endpoints.get(peerIdText(`peer-${name}`));
    if (!ep?.up) return;
    const before = this.reachable(ep);
    ep.up = false;
    for (const other of before) this.emitPeer(other, ep.peer, false);
  }

  /** Puts each named node on a side; nodes on different sides cannot talk. Side 0 for all heals. */
  partition(sideOf: (name: string) => number): void {
    const before = new Map([...this.endpoints.values()].map((e) => [e.peer, new Set(this.reachable(e).map((x) => x.peer))]));
    for (const e of this.endpoints.values()) e.side = sideOf(e.peer.slice("peer-".length));
    for (const e of this.endpoints.values()) {
      if (!e.up) continue;
      const now = new Set(this.reachable(e).map((x) => x.peer));
      const was = before.get(e.peer) ?? new Set();
      for (const p of was) if (!now.has(p)) this.emitPeer(e, p, false);
      for (const p of now) if (!was.has(p)) this.emitPeer(e, p, true);
    }
  }

  sideOf(name: string): number {
    return this.endpoints.get(peerIdText(`peer-${name}`))?.side ?? 0;
  }

  private reachable(ep: Endpoint): Endpoint[] {
    if (!ep.up) return [];
    return [...this.endpoints.values()].filter((e) => e !== ep && e.up && e.side === ep.side);
  }

  private publish(from: Endpoint, topic: Topic, data: Uint8Array): void {
    if (!from.up) return;
    const name = from.peer.slice("peer-".length);
    const sent = this.publishedBy.get(name) ?? {};
    const t = (sent[topic] ??= { count: 0, bytes: 0 });
    t.count++;
    t.bytes += data.byteLength;
    this.publishedBy.set(name, sent);
    const msg: BusMessage = { topic, data, from: from.peer };
    for (const h of from.messageHandlers) h(msg); // own messages are delivered locally, as in libp2p-bus
    for (const to of this.reachable(from)) {
      if (!to.reads.has(topic)) continue;
      const copies = this.random() < this.faults.duplicateRate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        if (this.random() < this.faults.lossRate) {
          this.lost++;
          continue;
        }
        this.sched.at(this.sched.nowMs + between(this.random, this.faults.delayMinMs, this.faults.delayMaxMs), () => {
          // a partition or crash that began while the message was in flight drops it
          if (!to.up || !from.up || to.side !== from.side) return;
          this.delivered++;
          const name = to.peer.slice("peer-".length);
          const counts = this.deliveredTo.get(name) ?? {};
          counts[topic] = (counts[topic] ?? 0) + 1;
          this.deliveredTo.set(name, counts);
          for (const h of to.messageHandlers) h(msg);
        });
      }
    }
  }

  private emitPeer(ep: Endpoint, peer: PeerIdText, connected: boolean): void {
    for (const h of ep.peerHandlers) h({ peer, connected });
  }
}
