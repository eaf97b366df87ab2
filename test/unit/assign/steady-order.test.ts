import { describe, expect, test } from "bun:test";
import { steadyOrder } from "../../../src/assign/steady-order.ts";
import { serverName, type AreaAssignment, type ServerName } from "../../../src/core/types.ts";
import { EAST, fixtureSite, server, WEST } from "../dns/site-fixture.ts";

const names = (...xs: string[]): ServerName[] => xs.map(serverName);
const crowd = [
  server("a", EAST, "10.0.1.1"),
  server("b", EAST, "10.0.1.2"),
  server("c", EAST, "10.0.1.3", "2001:db8::3"),
  server("w", WEST, "10.0.2.1"),
  server("v", WEST, "10.0.2.2"),
];
const site = fixtureSite({ servers: crowd });
const area = (servers: ServerName[], spill?: ServerName[]): AreaAssignment => ({
  area: EAST,
  cluster: EAST,
  servers,
  reason: "home",
  detail: "",
  ...(spill && { spill: [{ to: WEST, servers: spill, fraction: 0.2, stepAtMs: 0, rising: true, detail: "" }] }),
});
const order = (cap: number | undefined, last: AreaAssignment | undefined, next: AreaAssignment) => steadyOrder(site, cap ?? 32, last && [last], [next])[0];

describe("steadyOrder", () => {
  test("the same servers in another order keep the last order when all fit in an answer", () => {
    expect(order(undefined, area(names("a", "b", "c")), area(names("c", "a", "b")))?.servers).toEqual(names("a", "b", "c"));
  });

  test("where the cluster has more addresses than an answer holds, the least loaded first wins", () => {
    expect(order(2, area(names("a", "b", "c")), area(names("c", "a", "b")))?.servers).toEqual(names("c", "a", "b"));
  });

  test("the cap counts each family apart: three IPv4 and one IPv6 address fit a cap of 3", () => {
    expect(order(3, area(names("a", "b", "c")), area(names("b", "a", "c")))?.servers).toEqual(names("a", "b", "c"));
  });

  test.each([
    ["a server joined", names("a", "b"), names("b", "a", "c")],
    ["a server left", names("a", "b", "c"), names("b", "a")],
    ["another server in its place", names("a", "b"), names("c", "a")],
  ])("%s: the new order", (_, was, now) => {
    expect(order(undefined, area(was), area(now))?.servers).toEqual(now);
  });

  test("an area not in the last assignment is taken as it comes", () => {
    expect(order(undefined, undefined, area(names("b", "a")))?.servers).toEqual(names("b", "a"));
  });

  test("a spill share's servers keep their order too; a new share takes its own", () => {
    const kept = order(undefined, area(names("a", "b"), names("w", "v")), area(names("a", "b"), names("v", "w")));
    expect(kept?.spill?.[0]?.servers).toEqual(names("w", "v"));
    const fresh = order(undefined, area(names("a", "b")), area(names("b", "a"), names("w")));
    expect(fresh?.servers).toEqual(names("a", "b"));
    expect(fresh?.spill?.[0]?.servers).toEqual(names("w"));
  });
});
