// One node of the given stack alone, the scale benchmark's floor: walrus's gossip bus
// (src/net/libp2p-bus.ts: libp2p, noise with the site prologue, yamux, gossipsub with walrus's
// parameters, the quiet probe) reading the topics its kind reads and publishing random bytes
// at the rates and sizes the simulator counts for that kind of node. It accepts every message
// and does nothing with it: what it costs is what the stack costs for walrus's traffic.
//   bus-floor-node <config.json>   (config: FloorNodeConfig in floor-message.ts, written by bus-floor.ts)
// Every 5 s it prints "received N T": N messages delivered to it so far, at T (ms since the epoch).
import { readFileSync } from "node:fs";
import { topicsRead } from "../../src/net/bus.ts";
import { startLibp2pBus } from "../../src/net/libp2p-bus.ts";
import { newIdentityKey } from "../../src/net/peer-keys.ts";
import { floorConfig, printReceived, publishAtRates } from "./floor-message.ts";

const config = floorConfig("bus-floor-node");
let received = 0;
const bus = await startLibp2pBus({
  identityKey: newIdentityKey(),
  siteSecret: readFileSync(config.secretFile),
  listen: config.listen,
  bootstrap: config.bootstrap,
  reads: topicsRead(config.kind === "area" ? ["controller", "nameserver"] : ["reporter"]),
  accept: () => "accept",
  onError: (what, err) => console.error(`${what}: ${(err as Error).message}`),
  onUnreachable: () => {},
});
bus.onMessage((m) => {
  if (m.from !== bus.self) received++;
});
publishAtRates(config, (topic, payload) => bus.publish(topic, payload));
printReceived(() => received);
