// The message bus every role talks through. libp2p-bus.ts implements it over gossipsub;
// anything else (tests, the simulator) can implement it in memory.
import type { PeerIdText } from "../core/types.ts";

export const TOPICS = ["reports", "heartbeats", "assignments", "commands", "locations", "sites"] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * What the validator makes of a message: accepted (delivered and forwarded), ignored (dropped
 * quietly: stale, or refused on what this node knows now, which an honest forwarder may not have
 * known), or rejected (malformed or self-contradictory: gossipsub also marks down the peer that
 * forwarded it, as no honest node forwards such a message).
 */
export type Verdict = "accept" | "ignore" | "reject";

export interface BusMessage {
  topic: Topic;
  data: Uint8Array;
  /** The signing peer; our own id for messages we published. */
  from: PeerIdText;
}

export interface PeerEvent {
  peer: PeerIdText;
  connected: boolean;
}

export interface Bus {
  readonly self: PeerIdText;
  /** Sends to every subscribed peer and, because gossipsub never delivers a node's own
   * messages back to it, to this node's own handlers too. */
  publish(topic: Topic, data: Uint8Array): void;
  onMessage(handler: (m: BusMessage) => void): void;
  onPeer(handler: (e: PeerEvent) => void): void;
  connectedPeers(): PeerIdText[];
  listenAddresses(): string[];
  stop(): Promise<void>;
}
