// Relaying only where it is needed. A node publishes its own messages straight to every area
// node it is connected to (floodPublish), and every node's bootstrap list names the area nodes,
// so on a whole network each area node hears each message from its author. Gossipsub relayed
// every message to each mesh peer all the same: an area node received each one from its author
// and again from every other area node, and sent as many copies on (a quarter of its CPU on a
// site of 48 web servers). Here a message is relayed only to the mesh peers its author does not
// say it reaches (its heartbeat's reach, messages.ts): on a whole network to nobody; with the
// author's link to some area node down, to that node. What an author says of itself decides only
// how its own messages travel.
import type { PeerIdText } from "../core/types.ts";

/** What this needs of js-gossipsub 14's GossipSub: private members, so the version is pinned and
 * test/integration/gossip-relay.test.ts fails if they change. */
interface Forwarding {
  forwardMessage(msgId: string, raw: { data?: Uint8Array }, source: string, exclude?: Set<string>): void;
  selectPeersToForward(topic: string, source: string, exclude?: Set<string>): Set<string>;
}

export interface Relays {
  /** Called by the topic validator: the signed author of the message carrying `data` (gossipsub
   * hands the validator and the relay the same bytes). */
  noteAuthor(data: Uint8Array, author: PeerIdText): void;
  /** Copies of others' messages sent on since the start. */
  relayed(): number;
}

export function relayOnlyWhereNeeded(pubsub: unknown, reachOf: (author: PeerIdText) => ReadonlySet<PeerIdText> | undefined): Relays {
  const g = pubsub as Forwarding;
  const authors = new WeakMap<Uint8Array, PeerIdText>();
  let relayed = 0;
  const forward = g.forwardMessage.bind(g);
  g.forwardMessage = (msgId, raw, source, exclude) => {
    const author = raw.data && authors.get(raw.data);
    const reached = author ? reachOf(author) : undefined;
    forward(msgId, raw, source, reached?.size ? new Set([...(exclude ?? []), ...reached]) : exclude);
  };
  const select = g.selectPeersToForward.bind(g);
  g.selectPeersToForward = (topic, source, exclude) => {
    const to = select(topic, source, exclude);
    relayed += to.size;
    return to;
  };
  return { noteAuthor: (data, author) => void authors.set(data, author), relayed: () => relayed };
}
