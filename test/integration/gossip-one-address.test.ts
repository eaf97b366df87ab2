// Many peers behind one address (a NAT, one test host, loopback): every one of them must be
// heard. Gossipsub's default IP colocation penalty graylisted them all from the 14th on, so an
// area node ignored every report and heartbeat of a 24-server site run on one host.
import { afterAll, expect, test } from "bun:test";
import { until } from "../../scripts/lib/demo-site.ts";
import type { Bus } from "../../src/net/bus.ts";
import { startLoopbackBus } from "./loopback-bus.ts";

const PEERS = 20;
const started: Bus[] = [];
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop().catch(() => {})));
});

test(`a node hears all ${PEERS} peers that share its address`, async () => {
  const start = (bootstrap: string[], reads: "reports"[]) => startLoopbackBus("one-address-secret-0123456789abcdef", bootstrap, reads);
  const hub = await start([], ["reports"]);
  started.push(hub);
  const heard = new Set<string>();
  hub.onMessage((m) => void (m.from !== hub.self && heard.add(m.from)));
  const peers: Bus[] = [];
  for (let i = 0; i < PEERS; i++) {
    const p = await start([hub.listenAddresses()[0] as string], []);
    started.push(p);
    peers.push(p);
  }
  await until(`${PEERS} peers connected`, () => hub.connectedPeers().length === PEERS, 20_000, 100);
  // Gossipsub scores its peers at each heartbeat (every second): publish after a few.
  await Bun.sleep(2500);
  heard.clear();
  for (let round = 0; round < 3; round++) {
    for (const p of peers) p.publish("reports", new TextEncoder().encode(`report ${round}`));
    await Bun.sleep(300);
  }
  await until(`a message from every peer (heard ${heard.size})`, () => heard.size === PEERS, 10_000, 100);
  expect(heard.size).toBe(PEERS);
}, 60_000);
