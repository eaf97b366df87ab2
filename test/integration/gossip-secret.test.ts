// The site secret is the gossip's door: it is the noise handshake's prologue (libp2p-bus.ts), so
// a node holding another secret fails the handshake and never gets a connection to speak on,
// while holders of the same secret connect and gossip.
import { afterAll, expect, test } from "bun:test";
import { until } from "../../scripts/lib/demo-site.ts";
import { TOPICS, type Bus, type BusMessage } from "../../src/net/bus.ts";
import { startLoopbackBus } from "./loopback-bus.ts";

const SECRET = "gossip-secret-test-0123456789abcdef";
const started: Bus[] = [];
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop().catch(() => {})));
});

async function bus(secret: string, bootstrap: string[] = []): Promise<Bus> {
  const b = await startLoopbackBus(secret, bootstrap, TOPICS);
  started.push(b);
  return b;
}

test("a node holding another secret never connects; one holding the same secret does", async () => {
  const member = await bus(SECRET);
  const heard: BusMessage[] = [];
  member.onMessage((m) => heard.push(m));
  const address = member.listenAddresses()[0] as string;
  const stranger = await bus("another-secret-entirely-0123456789", [address]);
  const peer = await bus(SECRET, [address]);

  await until("the peer with the secret connected", () => member.connectedPeers().includes(peer.self), 20_000, 50);
  // The stranger has been dialling all along (and redials with backoff): give it seconds more.
  await Bun.sleep(3000);
  expect(member.connectedPeers()).not.toContain(stranger.self);
  expect(stranger.connectedPeers()).toEqual([]);

  stranger.publish("reports", new TextEncoder().encode("from the stranger"));
  peer.publish("reports", new TextEncoder().encode("from the peer"));
  await until("the peer's message arrived", () => heard.some((m) => m.from === peer.self), 10_000, 50);
  await Bun.sleep(500);
  expect(heard.filter((m) => m.from !== member.self).map((m) => new TextDecoder().decode(m.data))).toEqual(["from the peer"]);
}, 60_000);
