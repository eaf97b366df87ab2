import { describe, expect, test } from "bun:test";
import { peerIdText, type PeerIdText } from "../../../src/core/types.ts";
import {
  candidates,
  heartbeatEveryMs,
  isLive,
  masterOf,
  withDisconnect,
  withHeard,
  withHeartbeat,
  withoutLongDead,
  type Member,
  type Members,
} from "../../../src/membership/view.ts";
import type { HeartbeatMsg } from "../../../src/net/messages.ts";

const SITE = "digest-a";
const DEAD_AFTER_MS = 3000;
const LIVE = { deadAfterMs: DEAD_AFTER_MS, graceMs: 0 };

const hb = (over: Partial<HeartbeatMsg> = {}): HeartbeatMsg => ({
  type: "heartbeat",
  site: SITE,
  node: "n",
  roles: ["controller"],
  priority: 10,
  epoch: 0,
  drains: [],
  atMs: 0,
  ...over,
});

type Event = { at: number; peer: string; beat?: Partial<HeartbeatMsg>; disconnect?: true };
/** Replays heartbeats and disconnects in order into a fresh view. */
function view(events: Event[]): Members {
  let m: Members = new Map();
  for (const e of events) m = e.disconnect ? withDisconnect(m, peerIdText(e.peer), e.at) : withHeartbeat(m, peerIdText(e.peer), hb(e.beat), e.at);
  return m;
}
const member = (m: Members, peer: string): Member => {
  const x = m.get(peerIdText(peer));
  if (!x) throw new Error(`no member ${peer}`);
  return x;
};

describe("withHeartbeat", () => {
  test("records what the heartbeat says and when it was heard", () => {
    const m = view([{ at: 1234, peer: "P", beat: { node: "east-1", roles: ["reporter", "controller"], priority: 7, epoch: 4 } }]);
    expect(member(m, "P")).toEqual({
      peer: peerIdText("P"),
      node: "east-1",
      roles: ["reporter", "controller"],
      priority: 7,
      site: SITE,
      epoch: 4,
      heartbeatAtMs: 0,
      lastHeardMs: 1234,
    });
  });

  test("a heartbeat without priority leaves the member without one", () => {
    const m = view([{ at: 1, peer: "P", beat: { priority: undefined } }]);
    expect("priority" in member(m, "P")).toBe(false);
  });

  test("does not change the map it was given", () => {
    const before = view([{ at: 1, peer: "P" }]);
    withHeartbeat(before, peerIdText("Q"), hb(), 2);
    withDisconnect(before, peerIdText("P"), 3);
    expect([...before.keys()]).toEqual([peerIdText("P")]);
    expect(member(before, "P").disconnectedAtMs).toBeUndefined();
  });

  test("a disconnect of an unknown peer adds nothing", () => {
    expect(withDisconnect(new Map(), peerIdText("X"), 5).size).toBe(0);
  });
});

describe("withHeard", () => {
  test("a known member heard (a fresh report of its own) is live from then as after a heartbeat, the rest unchanged", () => {
    const before = view([{ at: 1000, peer: "P", beat: { node: "web-1", roles: ["reporter"], priority: undefined } }]);
    const after = withHeard(before, peerIdText("P"), 3900);
    expect(member(after, "P")).toEqual({ ...member(before, "P"), lastHeardMs: 3900 });
    expect(isLive(member(before, "P"), 4500, LIVE)).toBe(false);
    expect(isLive(member(after, "P"), 4500, LIVE)).toBe(true);
    expect(member(before, "P").lastHeardMs).toBe(1000); // the given map is not changed
  });

  test("heard after a disconnect it is live again, as a heartbeat would make it", () => {
    const cut = view([
      { at: 1000, peer: "P" },
      { at: 1500, peer: "P", disconnect: true },
    ]);
    expect(isLive(member(cut, "P"), 1600, LIVE)).toBe(false);
    expect(isLive(member(withHeard(cut, peerIdText("P"), 1600), "P"), 1600, LIVE)).toBe(true);
  });

  test("a stranger stays unknown (only a heartbeat says who it is) and an older reading changes nothing", () => {
    const m = view([{ at: 2000, peer: "P" }]);
    expect(withHeard(m, peerIdText("X"), 2500)).toBe(m);
    expect(withHeard(m, peerIdText("P"), 1500)).toBe(m);
  });
});

describe("isLive", () => {
  // [what, events for peer P, now, live?]
  const cases: [string, Event[], number, boolean][] = [
    ["just heard", [{ at: 1000, peer: "P" }], 1000, true],
    ["heard exactly deadAfterMs ago", [{ at: 1000, peer: "P" }], 1000 + DEAD_AFTER_MS, true],
    ["heard 1 ms more than deadAfterMs ago", [{ at: 1000, peer: "P" }], 1001 + DEAD_AFTER_MS, false],
    [
      "disconnected after its last heartbeat: dead at once",
      [
        { at: 1000, peer: "P" },
        { at: 1010, peer: "P", disconnect: true },
      ],
      1010,
      false,
    ],
    [
      "disconnected in the same ms as its last heartbeat",
      [
        { at: 1000, peer: "P" },
        { at: 1000, peer: "P", disconnect: true },
      ],
      1000,
      false,
    ],
    [
      "a heartbeat after the disconnect revives it",
      [
        { at: 1000, peer: "P" },
        { at: 1010, peer: "P", disconnect: true },
        { at: 1500, peer: "P" },
      ],
      1500,
      true,
    ],
    [
      "revived, then silent for too long",
      [
        { at: 1000, peer: "P" },
        { at: 1010, peer: "P", disconnect: true },
        { at: 1500, peer: "P" },
      ],
      1501 + DEAD_AFTER_MS,
      false,
    ],
    [
      "revived, then disconnected again",
      [
        { at: 1000, peer: "P" },
        { at: 1010, peer: "P", disconnect: true },
        { at: 1500, peer: "P" },
        { at: 1600, peer: "P", disconnect: true },
      ],
      1600,
      false,
    ],
  ];

  test.each(cases.map(([what, events, now, live]) => [what, live, now, events] as const))("%s → live: %p", (_what, live, now, events) => {
    expect(isLive(member(view(events), "P"), now, LIVE)).toBe(live);
  });

  test("with a grace, a disconnect kills only once nothing is heard for the grace", () => {
    const rules = { deadAfterMs: DEAD_AFTER_MS, graceMs: 750 };
    const m = member(
      view([
        { at: 1000, peer: "P" },
        { at: 1100, peer: "P", disconnect: true },
      ]),
      "P",
    );
    expect([1100, 1849, 1850].map((now) => isLive(m, now, rules))).toEqual([true, true, false]);
    const revived = member(
      view([
        { at: 1000, peer: "P" },
        { at: 1100, peer: "P", disconnect: true },
        { at: 1600, peer: "P" },
      ]),
      "P",
    );
    expect(isLive(revived, 2500, rules)).toBe(true);
  });

  test("a disconnect stamped before the last heartbeat does not kill it", () => {
    const m: Member = { ...member(view([{ at: 2000, peer: "P" }]), "P"), disconnectedAtMs: 1999 };
    expect(isLive(m, 2000, LIVE)).toBe(true);
  });
});

describe("candidates and masterOf", () => {
  const now = 10_000;
  const beat = (peer: string, beatOver: Partial<HeartbeatMsg> = {}, at = now): Event => ({ at, peer, beat: beatOver });
  const ids = (ms: Member[]) => ms.map((m) => m.peer as string);

  // [what, events, expected candidates in order]
  const cases: [string, Event[], string[]][] = [
    ["no members, no candidates", [], []],
    ["ordered by priority, lower first", [beat("A", { priority: 30 }), beat("B", { priority: 10 }), beat("C", { priority: 20 })], ["B", "C", "A"]],
    ["equal priority: ordered by peer id", [beat("Qm3", { priority: 5 }), beat("Qm1", { priority: 5 }), beat("Qm2", { priority: 5 })], ["Qm1", "Qm2", "Qm3"]],
    ["priority before peer id", [beat("A", { priority: 2 }), beat("Z", { priority: 1 })], ["Z", "A"]],
    ["priority 0 is a real priority", [beat("A", { priority: 1 }), beat("B", { priority: 0 })], ["B", "A"]],
    ["another site digest is never a candidate", [beat("A", { priority: 1, site: "digest-b" }), beat("B", { priority: 9 })], ["B"]],
    ["without the controller role: never a candidate", [beat("A", { priority: 1, roles: ["reporter", "nameserver"] }), beat("B", { priority: 9 })], ["B"]],
    ["controller role but no priority: not a candidate", [beat("A", { priority: undefined }), beat("B", { priority: 9 })], ["B"]],
    ["a member not heard for too long is left out", [beat("A", { priority: 1 }, now - DEAD_AFTER_MS - 1), beat("B", { priority: 9 })], ["B"]],
    ["a disconnected member is left out", [beat("A", { priority: 1 }), { at: now, peer: "A", disconnect: true }, beat("B", { priority: 9 })], ["B"]],
    [
      "a member's latest heartbeat counts, not its first",
      [beat("A", { priority: 1 }, now - 100), beat("B", { priority: 5 }), beat("A", { priority: 9 })],
      ["B", "A"],
    ],
  ];

  test.each(cases)("%s", (_what, events, expected) => {
    const m = view(events);
    expect(ids(candidates(m, SITE, now, LIVE))).toEqual(expected);
    expect(masterOf(m, SITE, now, LIVE) as string | undefined).toBe(expected[0]);
  });

  test("every node with the same view picks the same master, whatever order it heard things in", () => {
    const events = [beat("C", { priority: 5 }), beat("A", { priority: 5 }), beat("B", { priority: 1, roles: ["reporter"] }), beat("D", { priority: 7 })];
    const masters = new Set(
      [events, [...events].reverse(), [events[2], events[0], events[3], events[1]] as Event[]].map((e) => masterOf(view(e), SITE, now, LIVE)),
    );
    expect([...masters]).toEqual([peerIdText("A")]);
  });

  test("when the master dies the next candidate takes over", () => {
    const m = view([beat("A", { priority: 1 }, 0), beat("B", { priority: 2 }, 2000), beat("B", { priority: 2 }, 4000)]);
    expect([masterOf(m, SITE, 2000, LIVE), masterOf(m, SITE, 4000, LIVE)] as (PeerIdText | undefined)[]).toEqual([peerIdText("A"), peerIdText("B")]);
  });
});

describe("withoutLongDead", () => {
  const FORGET_AFTER_MS = 60_000;
  test.each([
    ["heard just now: kept", 100_000, true],
    ["heard exactly forgetAfterMs ago: kept", 100_000 - FORGET_AFTER_MS, true],
    ["heard longer ago: forgotten", 100_000 - FORGET_AFTER_MS - 1, false],
  ] as [string, number, boolean][])("%s", (_what, heardAt, kept) => {
    const m = view([
      { at: heardAt, peer: "OLD" },
      { at: 100_000, peer: "NEW" },
    ]);
    const out = withoutLongDead(m, 100_000, FORGET_AFTER_MS);
    expect(out.has(peerIdText("OLD"))).toBe(kept);
    expect(out.has(peerIdText("NEW"))).toBe(true);
    expect(m.size).toBe(2);
  });
});

describe("heartbeatEveryMs", () => {
  test.each([
    // roles, heartbeat_interval_ms, dead_after_ms → the node's pace
    [["controller", "nameserver"], 500, 5000, 500],
    [["nameserver"], 500, 5000, 500],
    [["controller"], 500, 5000, 500],
    [["reporter"], 500, 5000, 1666],
    [["replicator"], 500, 5000, 1666],
    [["reporter", "nameserver"], 500, 5000, 500],
    // Never faster than the site's interval: a site that beats slowly already keeps this pace.
    [["reporter"], 2000, 4000, 2000],
  ] as const)("%j at %i ms, dead after %i ms → every %i ms", (roles, interval, deadAfter, want) => {
    expect(heartbeatEveryMs(roles, interval, deadAfter)).toBe(want);
  });
});
