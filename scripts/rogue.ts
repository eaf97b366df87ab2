// A rogue member for the authority tests: a process that holds the site secret (as every web
// host does) but no grant, joins the gossip under a fresh identity and publishes whatever
// messages its plan lists, repeatedly, then leaves. Never part of a real site.
//   bun scripts/rogue.ts PLAN.json
//   PLAN: { secretFile, listen: [multiaddr], bootstrap: [multiaddr], messages: [Message], everyMs, count }
import { readFileSync } from "node:fs";
import { readSecret } from "../src/config/load.ts";
import { TOPICS } from "../src/net/bus.ts";
import { startLibp2pBus } from "../src/net/libp2p-bus.ts";
import { encode, topicOf, type Message } from "../src/net/messages.ts";
import { newIdentityKey } from "../src/net/peer-keys.ts";

const plan = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as {
  secretFile: string;
  listen: string[];
  bootstrap: string[];
  messages: Message[];
  everyMs: number;
  count: number;
};
const secret = readSecret(plan.secretFile);
if (!secret.ok) throw new Error(secret.error);
const bus = await startLibp2pBus({
  identityKey: newIdentityKey(),
  siteSecret: secret.secret,
  listen: plan.listen,
  bootstrap: plan.bootstrap,
  reads: TOPICS,
  accept: () => "accept",
  onError: () => {},
});
console.log(`rogue ${bus.self} joined`);
for (let i = 0; i < plan.count; i++) {
  for (const m of plan.messages) bus.publish(topicOf(m), encode({ ...m, ...(m.type === "heartbeat" ? { atMs: Date.now() } : {}) } as Message));
  console.log(`round ${i + 1}: published ${plan.messages.length}; peers ${bus.connectedPeers().length}`);
  await Bun.sleep(plan.everyMs);
}
await bus.stop();
process.exit(0);
