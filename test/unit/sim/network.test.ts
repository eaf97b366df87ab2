// The simulated network's counts, which the scale benchmark turns into rates: copies delivered
// to each reader by topic, and what each node published, with its bytes.
import { expect, test } from "bun:test";
import { MemoryNetwork } from "../../../src/sim/network.ts";
import { seededRandom } from "../../../src/sim/prng.ts";
import { Scheduler } from "../../../src/sim/scheduler.ts";

test("counts each node's publications by topic with their bytes, and copies only to readers of the topic", () => {
  const sched = new Scheduler();
  const net = new MemoryNetwork(sched, seededRandom(1));
  const area = net.attach("area");
  net.attach("other-area");
  const reporter = net.attach("reporter", ["sites"]);
  reporter.publish("reports", new Uint8Array(300));
  reporter.publish("reports", new Uint8Array(100));
  area.publish("heartbeats", new Uint8Array(50));
  sched.runUntil(1000);

  expect(net.publishedBy.get("reporter")).toEqual({ reports: { count: 2, bytes: 400 } });
  expect(net.publishedBy.get("area")).toEqual({ heartbeats: { count: 1, bytes: 50 } });
  expect(net.publishedBy.get("other-area")).toBeUndefined();
  expect(net.deliveredTo.get("other-area")).toEqual({ reports: 2, heartbeats: 1 });
  expect(net.deliveredTo.get("area")).toEqual({ reports: 2 });
  expect(net.deliveredTo.get("reporter")).toBeUndefined(); // reads only site documents
});
