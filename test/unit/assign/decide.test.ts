import { describe, expect, test } from "bun:test";
import { decide, type DecideInput } from "../../../src/assign/decide.ts";
import { areaName, serverName, type AreaName, type ServerView } from "../../../src/core/types.ts";
import { servers } from "./server-spec.ts";

const A = areaName("a");
const B = areaName("b");
const C = areaName("c");
const AREAS = [A, B, C];

const input = (spec: string, previous: Record<string, string> = {}, over: Partial<DecideInput> = {}): DecideInput => ({
  areas: AREAS,
  servers: servers(spec),
  previous: new Map(Object.entries(previous).map(([k, v]) => [areaName(k), areaName(v)])),
  threshold: 0.8,
  margin: 0.2,
  ...over,
});

/** "a→a(home) b→c(availability) ..." for compact expectations. */
function summary(d: ReturnType<typeof decide>): string {
  return d.areas.map((a) => `${a.area}→${a.cluster}(${a.reason})`).join(" ");
}

describe("four-phase decision (thesis §6.1)", () => {
  const cases: { name: string; servers: string; previous?: Record<string, string>; expect: string }[] = [
    {
      name: "Phase Two: every area stays home while a home server is below threshold",
      servers: "a1:up:0.3 a2:up:0.9 b1:up:0.5 c1:up:0.1",
      expect: "a→a(home) b→b(home) c→c(home)",
    },
    {
      name: "Phase Three: an area whose cluster has no functioning server goes to the best functioning cluster",
      servers: "a1:dead a2:panic b1:up:0.5 c1:up:0.1",
      expect: "a→c(availability) b→b(home) c→c(home)",
    },
    {
      name: "Phase Three: even an overloaded cluster beats no service",
      servers: "a1:dead b1:up:0.95 c1:up:0.99",
      expect: "a→b(availability) b→b(kept) c→c(kept)",
    },
    {
      name: "Phase Three: several homeless areas are spread round robin from the best cluster",
      servers: "a1:dead b1:bypass c1:up:0.2",
      expect: "a→c(availability) b→c(availability) c→c(home)",
    },
    {
      name: "Phase Three: round robin alternates between functioning clusters, best first",
      servers: "a1:up:0.5 b1:drained c1:dead",
      previous: {},
      expect: "a→a(home) b→a(availability) c→a(availability)",
    },
    {
      name: "Phase Four: an overloaded area moves to a clearly better cluster",
      servers: "a1:up:0.95 b1:up:0.9 c1:up:0.1 c2:up:0.1 c3:up:0.1 c4:up:0.1",
      expect: "a→c(balance) b→b(kept) c→c(home)",
    },
    {
      name: "Phase Four: no move when the area's load would overload the target (it would come straight back)",
      servers: "a1:up:0.95 b1:up:0.9 c1:up:0.2",
      expect: "a→a(kept) b→b(kept) c→c(home)",
    },
    {
      name: "Phase Four: no move when the better cluster is not better by the margin",
      servers: "a1:up:0.95 b1:up:0.85 c1:up:0.79",
      expect: "a→a(kept) b→b(kept) c→c(home)",
    },
    {
      name: "Phase Four §6.2: at most one area lands on a cluster per round, the worst area first",
      servers: "a1:up:0.9 b1:up:0.99 c1:up:0.1 c2:up:0.1 c3:up:0.1 c4:up:0.1",
      expect: "a→a(kept) b→c(balance) c→c(home)",
    },
    {
      name: "Phase Four: a cluster without a server below threshold receives nothing",
      servers: "a1:up:1.0 b1:up:0.81 c1:up:0.82",
      expect: "a→a(kept) b→b(kept) c→c(kept)",
    },
    {
      name: "an area moved away earlier stays there while home is still overloaded",
      servers: "a1:up:0.9 b1:up:0.5 c1:up:0.3",
      previous: { a: "c" },
      expect: "a→c(kept) b→b(home) c→c(home)",
    },
    {
      name: "Phase Four may add an area to a cluster already serving others (one per round)",
      servers: "a1:up:0.9 b1:up:0.85 c1:up:0.3 c2:up:0.3 c3:up:0.3 c4:up:0.3",
      previous: { a: "c" },
      expect: "a→c(kept) b→c(balance) c→c(home)",
    },
    {
      name: "an area comes home as soon as a home server is below threshold again (Phase Two wins)",
      servers: "a1:up:0.5 b1:up:0.5 c1:up:0.3",
      previous: { a: "c" },
      expect: "a→a(home) b→b(home) c→c(home)",
    },
    {
      name: "a previous cluster that died sends its areas on, round robin from the best (even overloaded)",
      servers: "a1:up:0.9 b1:up:0.3 c1:dead",
      previous: { a: "c" },
      expect: "a→b(availability) b→b(home) c→a(availability)",
    },
    {
      name: "TEMPFAIL with fresh figures still counts as functioning",
      servers: "a1:tempfail:0.2 b1:up:0.5 c1:up:0.5",
      expect: "a→a(home) b→b(home) c→c(home)",
    },
    {
      name: "TEMPFAIL without figures is not functioning",
      servers: "a1:tempfail b1:up:0.5 c1:up:0.6",
      expect: "a→b(availability) b→b(home) c→c(home)",
    },
    {
      name: "nothing functions anywhere: every area keeps its cluster, best effort",
      servers: "a1:dead b1:dead c1:panic",
      expect: "a→a(none-functioning) b→b(none-functioning) c→c(none-functioning)",
    },
  ];
  for (const c of cases) {
    test(c.name, () => expect(summary(decide(input(c.servers, c.previous)))).toBe(c.expect));
  }
});

describe("servers handed out for an area", () => {
  const answerFor = (spec: string, area: AreaName = A) => decide(input(spec)).areas.find((x) => x.area === area)?.servers;

  test("only servers below threshold, least loaded first", () => {
    expect(answerFor("a1:up:0.7 a2:up:0.9 a3:up:0.1 b1:up:0.1 c1:up:0.1")).toEqual(["a3", "a1"].map(serverName));
  });
  test("every functioning server when all are over threshold", () => {
    expect(answerFor("a1:up:0.95 a2:up:0.85 a3:dead b1:up:0.9 c1:up:0.9")).toEqual(["a2", "a1"].map(serverName));
  });
  test("drained, bypassed and panicking servers are never handed out while another functions", () => {
    expect(answerFor("a1:drained a2:bypass a3:panic a4:up:0.2 b1:up:0.1 c1:up:0.1")).toEqual([serverName("a4")]);
  });
  test("with nothing functioning anywhere, everything not drained rather than an empty answer", () => {
    expect(answerFor("a1:dead a2:drained a3:panic b1:dead c1:dead")).toEqual(["a1", "a3"].map(serverName));
  });
});

describe("Phase One", () => {
  test("PANIC servers are listed for a human, BYPASS ones are not", () => {
    const d = decide(input("a1:panic a2:up:0.1 b1:bypass b2:up:0.1 c1:up:0.1"));
    expect(d.panics.map((s) => s.name)).toEqual([serverName("a1")]);
  });
});

describe("determinism and shape", () => {
  test("the same input gives the same decision", () => {
    const i = input("a1:up:0.95 b1:up:0.99 c1:up:0.1 c2:up:0.4", { a: "b" });
    expect(decide(i)).toEqual(decide(i));
  });
  test("every area gets exactly one assignment, in site order, naming a known cluster", () => {
    const d = decide(input("a1:dead b1:up:0.99 c1:up:0.1"));
    expect(d.areas.map((a) => a.area)).toEqual(AREAS);
    for (const a of d.areas) expect(AREAS).toContain(a.cluster);
  });
  test("an unknown previous cluster is ignored", () => {
    expect(summary(decide(input("a1:up:0.9 b1:up:0.85 c1:up:0.85", { a: "zz" })))).toBe("a→a(kept) b→b(kept) c→c(kept)");
  });
});

describe("cooldown (§6.2: calm balancing)", () => {
  const cooling = (...names: string[]) => ({ cooling: new Set(names.map(areaName)) });
  test("a cooling cluster receives no area in Phase Four", () => {
    expect(summary(decide(input("a1:up:0.95 b1:up:0.9 c1:up:0.1 c2:up:0.1 c3:up:0.1 c4:up:0.1", {}, cooling("c"))))).toBe("a→a(kept) b→b(kept) c→c(home)");
  });
  test("an area on a cooling cluster is not balanced away", () => {
    expect(summary(decide(input("a1:up:0.95 b1:up:0.9 c1:up:0.1 c2:up:0.1 c3:up:0.1 c4:up:0.1", {}, cooling("a"))))).toBe("a→a(kept) b→c(balance) c→c(home)");
  });
  test("an area does not come home while its current cluster is cooling", () => {
    expect(summary(decide(input("a1:up:0.3 b1:up:0.5 c1:up:0.3", { a: "c" }, cooling("c"))))).toBe("a→c(kept) b→b(home) c→c(home)");
  });
  test("an area does not come home while its home is cooling", () => {
    expect(summary(decide(input("a1:up:0.3 b1:up:0.5 c1:up:0.3", { a: "c" }, cooling("a"))))).toBe("a→c(kept) b→b(home) c→c(home)");
  });
  test("availability ignores cooldown: a dead cluster's area moves at once", () => {
    expect(summary(decide(input("a1:up:0.3 b1:up:0.5 c1:dead", { a: "c" }, cooling("a", "b", "c"))))).toBe("a→a(home) b→b(home) c→a(availability)");
  });
});
