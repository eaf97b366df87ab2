// One node of the given stack alone, the scale benchmark's floor: walrus's gossip bus
// (src/net/libp2p-bus.ts: libp2p, noise with the site prologue, yamux, gossipsub with walrus's
// parameters, the quiet probe) reading the topics its kind reads and publishing random bytes
// at the rates and sizes the simulator counts for that kind of node. It accepts every message
// and does nothing with it: what it costs is what the stack costs for walrus's traffic.
//   bus-floor-node <config.json>   (config: FloorNodeConfig, written by bus-floor.ts)
// Every 5 s it prints "received N T": N messages delivered to it so far, at T (ms since the epoch).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { topicsRead } from "../../src/net/bus.ts";
import { startLibp2pBus } from "../../src/net/libp2p-bus.ts";
import { newIdentityKey } from "../../src/net/peer-keys.ts";
import type { Publishing } from "./scale-sim.ts";

export interface FloorNodeConfig {
  secretFile: string;
  listen: string[];
  bootstrap: string[];
  kind: "area" | "reporter";
  publishing: Publishing;
}

const REPORT_EVERY_MS = 5000;

const path = process.argv[2];
if (!path) throw new Error("usage: bus-floor-node <config.json>");
const config = JSON.parse(readFileSync(path, "utf8")) as FloorNodeConfig;
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
for (const { topic, perSecond, bytes } of config.publishing) {
  const everyMs = 1000 / perSecond;
  // At a random phase, as nodes started at different times publish.
  setTimeout(() => setInterval(() => bus.publish(topic, randomBytes(bytes)), everyMs), Math.random() * everyMs);
}
setInterval(() => console.log(`received ${received} ${Date.now()}`), REPORT_EVERY_MS);
