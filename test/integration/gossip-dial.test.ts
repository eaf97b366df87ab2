// A bootstrap peer behind a partition: the dial's SYN goes unanswered until libp2p's dial
// timeout. Under Bun that used to raise an uncaught AbortError on every node at every timed-out
// dial (issue 14); now the dial fails quietly and is reported as an unreachable peer.
// The black hole is a real listening socket whose accept queue is full, so the kernel drops
// further SYNs, as a partition's firewall rule would.
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { until } from "../../scripts/lib/demo-site.ts";
import { TOPICS } from "../../src/net/bus.ts";
import { startLibp2pBus } from "../../src/net/libp2p-bus.ts";
import { newIdentityKey } from "../../src/net/peer-keys.ts";
import { needs } from "./needs.ts";

const READY = needs("gossip-dial", { tools: ["python3"] });
let hole: ReturnType<typeof Bun.spawn> | undefined;
let holePort = 0;
const fillers: net.Socket[] = [];

beforeAll(async () => {
  if (!READY) return;
  hole = Bun.spawn(
    [
      "python3",
      "-c",
      "import socket, sys, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen(0)\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()",
    ],
    { stdin: "pipe", stdout: "pipe" },
  );
  const first = await (hole.stdout as ReadableStream<Uint8Array>).getReader().read();
  holePort = Number(new TextDecoder().decode(first.value).trim());
  // Fill the accept queue (backlog 0 holds one), so later SYNs are dropped.
  for (let i = 0; i < 3; i++) fillers.push(net.connect({ host: "127.0.0.1", port: holePort }).on("error", () => {}));
  await Bun.sleep(100);
});

afterAll(() => {
  for (const f of fillers) f.destroy();
  hole?.kill();
});

test.skipIf(!READY)(
  "a dial that times out raises no uncaught exception and is reported as unreachable",
  async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    const unreachable: string[] = [];
    const errors: string[] = [];
    const bus = await startLibp2pBus({
      identityKey: newIdentityKey(),
      siteSecret: new Uint8Array(32).fill(7),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootstrap: [`/ip4/127.0.0.1/tcp/${holePort}`],
      reads: TOPICS,
      accept: () => "accept",
      onError: (what, err) => errors.push(`${what}: ${String(err)}`),
      onUnreachable: (address) => unreachable.push(address),
    });
    try {
      // Reported once the redial backoff is at its cap: four dial timeouts (3 s each), each of
      // which used to leave an AbortError behind.
      await until("a dial reported unreachable", () => unreachable.length >= 1, 30_000, 100);
      await Bun.sleep(200); // an AbortError arrives on the next turns of the event loop
      expect(uncaught.map(String)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
      await bus.stop();
    }
  },
  40_000,
);
