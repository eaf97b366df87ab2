import { describe, expect, test } from "bun:test";
import { areaName, serverName } from "../../../src/core/types.ts";
import { planUpdates, rrsetKey } from "../../../src/director/plan.ts";
import { canonicalAddress } from "../../../src/dns/wire.ts";
import { desiredRrsets, type DirectedRrset } from "../../../src/director/records.ts";
import { EAST, fixtureSite, WEST } from "../dns/site-fixture.ts";

const site = fixtureSite();
const want = (name: string, type: "A" | "AAAA", values: string[], zone = "area-east.example.test"): DirectedRrset => ({ zone, name, type, ttl: 30, values });

describe("desired records", () => {
  const byArea = new Map([
    [EAST, [serverName("west-1")]],
    [WEST, [serverName("west-1")]],
  ]);

  test("area-zones: each area's own name in its own zone, A and AAAA, from the assigned servers", () => {
    const r = desiredRrsets(site, "area-zones", [EAST, WEST], byArea);
    expect(r.map((x) => [x.zone, x.name, x.type, x.values.join(" ")])).toEqual([
      ["area-east.example.test", "www.area-east.example.test", "A", "10.0.2.1"],
      ["area-east.example.test", "www.area-east.example.test", "AAAA", ""],
      ["area-west.example.test", "www.area-west.example.test", "A", "10.0.2.1"],
      ["area-west.example.test", "www.area-west.example.test", "AAAA", ""],
    ]);
  });

  test("views: the balanced name itself in the site zone, for the backend's one area", () => {
    const r = desiredRrsets(site, "views", [EAST], new Map([[EAST, [serverName("east-2")]]]));
    expect(r.map((x) => [x.zone, x.name, x.type, x.values.join(" ")])).toEqual([
      ["example.test", "www.example.test", "A", "10.0.1.2"],
      ["example.test", "www.example.test", "AAAA", "2001:db8::1:2"],
    ]);
  });

  test("an area with nothing assigned gets its home cluster, never an empty answer", () => {
    const r = desiredRrsets(site, "area-zones", [areaName("east")], new Map());
    expect(r[0]?.values).toEqual(["10.0.1.1", "10.0.1.2"]);
  });
});

describe("planUpdates", () => {
  const name = "www.area-east.example.test";

  test("nothing to send when the backend already holds the records (a restarted director stays quiet)", () => {
    expect(planUpdates([want(name, "A", ["10.0.0.2", "10.0.0.1"])], new Map([[rrsetKey({ name, type: "A" }), ["10.0.0.1", "10.0.0.2"]]]))).toEqual([]);
  });

  test("only the changed records, adds before deletes, guarded by the RRset as it was", () => {
    const [u, ...rest] = planUpdates([want(name, "A", ["10.0.0.1", "10.0.0.3"])], new Map([[rrsetKey({ name, type: "A" }), ["10.0.0.1", "10.0.0.2"]]]));
    expect(rest).toEqual([]);
    expect(u?.zone).toBe("area-east.example.test");
    const rr = (data: string) => ({ name, type: "A" as const, ttl: 30, data });
    expect(u?.prerequisites).toEqual([{ kind: "equals", records: [rr("10.0.0.1"), rr("10.0.0.2")] }]);
    expect(u?.changes).toEqual([
      { kind: "add", rr: rr("10.0.0.3") },
      { kind: "delete", rr: rr("10.0.0.2") },
    ]);
  });

  test("an RRset the backend lacks is created only if it is still absent", () => {
    const [u] = planUpdates([want(name, "A", ["10.0.0.1"])], new Map());
    expect(u?.prerequisites).toEqual([{ kind: "absent", name, type: "A" }]);
  });

  test("one update per zone: the thesis' per-area zones keep each update small", () => {
    const plans = planUpdates([want(name, "A", ["10.0.0.1"]), want("www.area-west.example.test", "A", ["10.0.0.9"], "area-west.example.test")], new Map());
    expect(plans.map((p) => p.zone)).toEqual(["area-east.example.test", "area-west.example.test"]);
  });

  test("IPv6 written differently in the config and on the backend compares equal", () => {
    expect(canonicalAddress("2001:0db8:0:0::0001")).toBe("2001:db8::1");
    expect(planUpdates([want(name, "AAAA", ["2001:0db8::0001"])], new Map([[rrsetKey({ name, type: "AAAA" }), ["2001:db8::1"]]]))).toEqual([]);
  });
});
