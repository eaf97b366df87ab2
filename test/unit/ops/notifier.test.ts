// The notifier against real local HTTP receivers: delivery never blocks the caller, failures
// are retried with backoff then given up, repeats are dropped, and webhook secrets stay out of logs.
import { afterAll, expect, test } from "bun:test";
import type { NotifyConfig } from "../../../src/config/types.ts";
import { createLogger } from "../../../src/core/log.ts";
import { areaName, serverName, type ServerView } from "../../../src/core/types.ts";
import { createNotifier, type NoticePayload } from "../../../src/ops/notifier.ts";
import { until } from "../../../scripts/lib/demo-site.ts";

const got: NoticePayload[] = [];
let failing = 0;
let hanging = 0;
const ok = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (r) => (got.push((await r.json()) as NoticePayload), new Response("ok")) });
const fail = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (failing++, new Response("no", { status: 503 })) });
const hang = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (hanging++, new Promise<Response>(() => {})) });
afterAll(() => {
  for (const s of [ok, fail, hang]) s.stop(true);
});

const cfg = (webhooks: string[], extra: Partial<NotifyConfig> = {}): NotifyConfig => ({
  webhooks,
  deadForMs: 60_000,
  staleForMs: 300_000,
  repeatAfterMs: 600_000,
  maxPerMinute: 20,
  attempts: 2,
  ...extra,
});
const logged: string[] = [];
const log = createLogger({ json: true, write: (l) => logged.push(l) }, "notify");

test("a hanging and a failing receiver cost the caller nothing; the healthy one gets the notice", async () => {
  const n = createNotifier(
    cfg([`http://127.0.0.1:${hang.port}/h`, `http://127.0.0.1:${fail.port}/f`, `http://127.0.0.1:${ok.port}/secret-token-path`]),
    { zone: "demo.test", node: "east" },
    log,
  );
  const t0 = performance.now();
  n.notify({ event: "forced", area: "west", cluster: "east", reason: "west has no functioning server" });
  expect(performance.now() - t0).toBeLessThan(50);
  await until("the healthy receiver got it", () => got.length === 1, 5000, 20);
  expect(got[0]).toMatchObject({
    event: "forced",
    area: "west",
    cluster: "east",
    server: null,
    site: "demo.test",
    node: "east",
    text: "walrus demo.test: area west forced onto cluster east: west has no functioning server",
  });
  expect(hanging).toBe(1);
  // the failing one: retried once after 1 s, then given up (attempts = 2)
  await until("the failing receiver given up on", () => logged.some((l) => l.includes("giving up")), 5000, 50);
  expect(failing).toBe(2);
  const givenUp = JSON.parse(logged.find((l) => l.includes("giving up")) as string) as Record<string, unknown>;
  expect(givenUp).toMatchObject({ target: `webhook http://127.0.0.1:${fail.port}`, attempts: 2, error: "Error: answered HTTP 503" });
  expect(logged.join("\n")).not.toContain("secret-token-path");
}, 10_000);

test("the same notice twice is sent once; a PANIC carries the server's reason", async () => {
  got.length = 0;
  const n = createNotifier(cfg([`http://127.0.0.1:${ok.port}/`]), { zone: "demo.test", node: "east" }, log);
  const s: ServerView = { name: serverName("web-west-1"), cluster: areaName("west"), state: "panic", reason: "web server down: connection refused" };
  n.panic(s);
  n.panic(s);
  // A later notice arriving means any repeat of the first would have been sent before it.
  n.notify({ event: "master-change", reason: "marker" });
  await until("the marker", () => got.some((p) => p.reason === "marker"), 5000, 20);
  expect(got.filter((p) => p.event === "panic").map((p) => `${p.server} ${p.reason}`)).toEqual(["web-west-1 web server down: connection refused"]);
});
