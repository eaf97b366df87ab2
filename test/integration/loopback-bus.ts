// A real libp2p bus on loopback that accepts every message: for tests of the transport itself.
import type { Bus, Topic } from "../../src/net/bus.ts";
import { startLibp2pBus } from "../../src/net/libp2p-bus.ts";
import { newIdentityKey } from "../../src/net/peer-keys.ts";

export function startLoopbackBus(secret: string, bootstrap: string[], reads: readonly Topic[]): Promise<Bus> {
  return startLibp2pBus({
    identityKey: newIdentityKey(),
    siteSecret: new TextEncoder().encode(secret),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    bootstrap,
    reads,
    accept: () => "accept",
    onError: () => {},
  });
}
