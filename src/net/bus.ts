// The message bus every role talks through. libp2p-bus.ts implements it over gossipsub;
// anything else (tests, the simulator) can implement it in memory.
import type { PeerIdText } from "../core/types.ts";

export const TOPICS = ["reports", "heartbeats", "assignments", "commands", "locations", "sites"] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * The topics a node reads. Controllers and nameservers read everything (reports, assignments,
 * membership, drains, locations, site documents). A reporter-only node reads only the signed
 * site documents (rare, and it must run the site in force); everything else it only publishes,
 * and gossipsub sends a topic's messages to the peers reading it whether or not the publisher
 * reads it too. Such a node is in no busy topic's mesh, so it relays none of that traffic;
 * what it publishes reaches the readers it is connected to, which is why every node's
 * bootstrap list names the area nodes.
 */
export function topicsRead(roles: readonly string[]): readonly Topic[] {
  return roles.length === 1 && roles[0] === "reporter" ? ["sites"] : TOPICS;
}

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
