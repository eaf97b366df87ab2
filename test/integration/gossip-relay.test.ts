// A reader its author is not connected to (a partial partition, a bootstrap list that misses it)
// still gets the author's messages, from a reader that has them, and once each. Three real libp2p
// buses on loopback in a line, author — middle — far.
import { afterAll, expect, test } from "bun:test";
import { until } from "../../scripts/lib/demo-site.ts";
import type { Bus, BusMessage, Topic } from "../../src/net/bus.ts";
import { startLoopbackBus } from "./loopback-bus.ts";

const SECRET = "gossip-relay-secret-0123456789abcdef";
const started: Bus[] = [];
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop().catch(() => {})));
});

test("a message reaches a reader its author is not connected to, through a reader that has it, once", async () => {
  const reads: readonly Topic[] = ["reports", "heartbeats"];
  const middle = await startLoopbackBus(SECRET, [], reads);
  started.push(middle);
  const at = middle.listenAddresses()[0] as string;
  // The author reads nothing, as a reporter-only node: it publishes straight to its readers.
  const author = await startLoopbackBus(SECRET, [at], []);
  const far = await startLoopbackBus(SECRET, [at], reads);
  started.push(author, far);
  const got: BusMessage[] = [];
  far.onMessage((m) => got.push(m));
  await until("both connected to the middle", () => middle.connectedPeers().includes(author.self) && middle.connectedPeers().includes(far.self), 20_000, 50);

  // The first publishes may go before the middle's subscriptions reach the author: repeat until one
  // arrives, each a new message.
  await until(
    "the far reader hearing the author",
    () => {
      if (!got.some((m) => m.from === author.self)) author.publish("reports", new TextEncoder().encode(`report ${Date.now()}`));
      return got.some((m) => m.from === author.self);
    },
    20_000,
    50,
  );
  expect(author.connectedPeers()).not.toContain(far.self);
  expect(far.connectedPeers()).not.toContain(author.self);

  // Later messages arrive one copy each, within a few seconds of being published.
  const before = got.length;
  author.publish("reports", new TextEncoder().encode("the last report"));
  const tookMs = await until("the last report at the far reader", () => got.some((m) => new TextDecoder().decode(m.data) === "the last report"), 20_000, 50);
  expect(tookMs).toBeLessThan(5000);
  await Bun.sleep(2500); // two more gossipsub heartbeats: time for a second copy, if one were coming
  expect(got.slice(before).filter((m) => new TextDecoder().decode(m.data) === "the last report")).toHaveLength(1);
}, 60_000);
