import { describe, expect, test } from "bun:test";
import { serverName, type ServerState } from "../../../src/core/types.ts";
import { backoffMs, deadSince, NoticeGate, noticeKey, noticeText, type Notice } from "../../../src/ops/notify-policy.ts";

const panic = (server: string, atMs = 0): Notice => ({ event: "panic", server, cluster: "east", reason: "refused", atMs });

describe("NoticeGate", () => {
  test("the same notice is sent once within repeat_after_ms, then again", () => {
    const g = new NoticeGate({ repeatAfterMs: 10_000, maxPerMinute: 100 });
    expect(g.offer(panic("a"), 0)).toBe("send");
    expect(g.offer(panic("a"), 9_999)).toBe("duplicate");
    expect(g.offer(panic("b"), 9_999)).toBe("send");
    expect(g.offer(panic("a"), 10_000)).toBe("send");
  });

  test("at most max_per_minute leave in any minute; the rest are counted", () => {
    const g = new NoticeGate({ repeatAfterMs: 0, maxPerMinute: 2 });
    expect([g.offer(panic("a"), 0), g.offer(panic("b"), 1), g.offer(panic("c"), 2), g.offer(panic("d"), 59_999)]).toEqual([
      "send",
      "send",
      "rate-limited",
      "rate-limited",
    ]);
    expect(g.suppressed).toBe(2);
    expect(g.offer(panic("c"), 60_000)).toBe("send");
  });

  test("a held-back notice is not remembered as sent", () => {
    const g = new NoticeGate({ repeatAfterMs: 600_000, maxPerMinute: 1 });
    g.offer(panic("a"), 0);
    expect(g.offer(panic("b"), 1)).toBe("rate-limited");
    expect(g.offer(panic("b"), 60_001)).toBe("send");
  });

  test("notices differ by event, subject and, for a forced area, the cluster it went to", () => {
    const forced = (cluster: string): Notice => ({ event: "forced", area: "north", cluster, reason: "", atMs: 0 });
    expect(noticeKey(forced("east"))).not.toBe(noticeKey(forced("west")));
    expect(noticeKey(panic("a"))).not.toBe(noticeKey({ ...panic("a"), event: "dead" }));
    expect(noticeKey(panic("a", 1))).toBe(noticeKey(panic("a", 2)));
  });
});

test.each([
  [1, 1000],
  [2, 2000],
  [3, 4000],
  [7, 60_000],
  [30, 60_000],
])("retry %i waits %i ms", (attempt, ms) => {
  expect(backoffMs(attempt)).toBe(ms);
});

test("deadSince keeps the first moment a server was seen dead and forgets it when it returns", () => {
  const s = (name: string, state: ServerState) => ({ name: serverName(name), state });
  const t1 = deadSince(new Map(), [s("a", "dead"), s("b", "up")], 1000);
  expect([...t1]).toEqual([[serverName("a"), 1000]]);
  const t2 = deadSince(t1, [s("a", "dead"), s("b", "dead")], 5000);
  expect([...t2]).toEqual([
    [serverName("a"), 1000],
    [serverName("b"), 5000],
  ]);
  expect([...deadSince(t2, [s("a", "up"), s("b", "dead")], 6000)]).toEqual([[serverName("b"), 5000]]);
});

test("notice text names the site, the subject and the reason", () => {
  expect(noticeText(panic("web-east-1"), "demo.test")).toBe("walrus demo.test: server web-east-1 (cluster east) PANIC: refused");
  expect(noticeText({ event: "forced", area: "north", cluster: "east", reason: "north has no functioning server", atMs: 0 }, "demo.test")).toBe(
    "walrus demo.test: area north forced onto cluster east: north has no functioning server",
  );
});
