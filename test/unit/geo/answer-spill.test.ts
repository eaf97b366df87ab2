// Spill shares on the answer path (issue 19): a hash of the client's prefix picks the cluster,
// the same way on every nameserver, and the ECS scope covers the hashed prefix; the UDP hot path
// (fast-answer.ts) answers exactly as reply() does.

import { describe, expect, test } from "bun:test";
import { decode, encode, type OptAnswer } from "dns-packet";
import { serverName } from "../../../src/core/types.ts";
import { reply, type AnswerContext } from "../../../src/dns/answer.ts";
import { fastAnswer } from "../../../src/dns/fast-answer.ts";
import type { SpillRoute } from "../../../src/dns/spill-answer.ts";
import type { Zone } from "../../../src/dns/zone.ts";
import { locationChooser } from "../../../src/geo/choose-area.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";
import { EAST, fixtureSite, fixtureZone, NORTH, WEST } from "../dns/site-fixture.ts";

const MAP = new LocationMap(parseMapText("198.51.100.0/24 west\n", new Set([EAST, WEST, NORTH]), "map").entries);
const NORTH_SERVERS = [serverName("north-1"), serverName("north-2")];
const WEST_SERVERS = [serverName("west-1"), serverName("west-2")];
const spilling = (routes: SpillRoute[], over = {}) => fixtureZone({ spills: new Map([[EAST, routes]]), ...over });

/** Which cluster answered, by the first octets of the A records; and the reply's ECS scope. */
function ask(zone: Zone, source: string, ecs?: number[], name = "www.example.test") {
  const options = ecs ? [{ code: 8, data: Buffer.from(ecs) }] : [];
  const opt = { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options } as unknown as OptAnswer;
  const query = encode({ type: "query", id: 7, flags: 0, questions: [{ name, type: "A", class: "IN" }], additionals: [opt] });
  const chooser = () => locationChooser(() => MAP, EAST, new SteeringCounts([EAST, WEST, NORTH]));
  const ctx: AnswerContext = { transport: "udp", rotation: 0, source, chooseArea: chooser() };
  const bytes = reply(query, zone, ctx)?.bytes ?? new Uint8Array(0);
  // The UDP hot path must answer the same bytes: it takes every plain A query of a balanced name.
  const out = new Uint8Array(1232);
  const n = fastAnswer(query, query.byteLength, zone, { rotation: 0, udpSize: 1232, source, chooseArea: chooser() }, out);
  if (name.startsWith("www.example")) expect(Buffer.from(out.subarray(0, n)).equals(Buffer.from(bytes))).toBe(true);
  const p = decode(Buffer.from(bytes));
  const a = (p.answers ?? []).flatMap((x) => (x.type === "A" ? [x.data as string] : []));
  const cluster = { "10.0.1": "east", "10.0.2": "west", "10.0.3": "north" }[a[0]?.split(".").slice(0, 3).join(".") ?? ""] ?? `?${a.join()}`;
  const o = (p.additionals?.find((x): x is OptAnswer => x.type === "OPT")?.options ?? []).find((x) => x.code === 8) as unknown as
    { scopePrefixLength: number } | undefined;
  return { cluster, scope: o?.scopePrefixLength };
}

/** 2,000 resolvers in distinct /24s outside the map: all east's. */
const SOURCES = Array.from({ length: 2000 }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.53`);
const share = (zone: Zone, cluster: string) => SOURCES.filter((s) => ask(zone, s).cluster === cluster).length / SOURCES.length;

describe("spill shares on the answer path", () => {
  test("no shares: every resolver gets its area's cluster", () => {
    expect(share(fixtureZone(), "east")).toBe(1);
  });

  test("a 30 % share to north answers about 30 % of resolvers' /24s with north", () => {
    expect(share(spilling([{ to: NORTH, fraction: 0.3, servers: NORTH_SERVERS }]), "north")).toBeWithin(0.27, 0.33);
  });

  test("two shares: each about its fraction, the rest at home", () => {
    const zone = spilling([
      { to: NORTH, fraction: 0.2, servers: NORTH_SERVERS },
      { to: WEST, fraction: 0.3, servers: WEST_SERVERS },
    ]);
    expect(share(zone, "north")).toBeWithin(0.17, 0.23);
    expect(share(zone, "west")).toBeWithin(0.27, 0.33);
    expect(share(zone, "east")).toBeWithin(0.47, 0.53);
  });

  test("every host of a /24 is answered alike, and another nameserver answers the same", () => {
    const one = spilling([{ to: NORTH, fraction: 0.5, servers: NORTH_SERVERS }]);
    const other = spilling([{ to: NORTH, fraction: 0.5, servers: NORTH_SERVERS }], { servedArea: WEST });
    for (const s of SOURCES.slice(0, 200)) {
      const net = s.split(".").slice(0, 3).join(".");
      const here = ask(one, s).cluster;
      expect([ask(one, `${net}.1`).cluster, ask(one, `${net}.254`).cluster, ask(other, s).cluster]).toEqual([here, here, here]);
    }
  });

  test("a growing share keeps the resolvers it already moved", () => {
    const small = spilling([{ to: NORTH, fraction: 0.2, servers: NORTH_SERVERS }]);
    const large = spilling([{ to: NORTH, fraction: 0.4, servers: NORTH_SERVERS }]);
    const moved = SOURCES.filter((s) => ask(small, s).cluster === "north");
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((s) => ask(large, s).cluster !== "north")).toEqual([]);
  });

  test("ECS: the client's subnet is hashed, not the resolver, and the scope covers it", () => {
    const zone = spilling([{ to: NORTH, fraction: 0.5, servers: NORTH_SERVERS }]);
    const answers = SOURCES.slice(0, 200).map((s) => {
      const [a, b, c] = s.split(".").map(Number) as [number, number, number];
      return ask(zone, "192.0.2.53", [0, 1, 24, 0, a, b, c]);
    });
    expect(new Set(answers.map((x) => x.cluster))).toEqual(new Set(["east", "north"]));
    expect(answers.every((x) => x.scope === 24)).toBe(true);
    // Without shares the same question's scope is the map's (coarser) one.
    expect(ask(fixtureZone(), "192.0.2.53", [0, 1, 24, 0, 100, 64, 1]).scope).toBeLessThan(24);
  });

  test("ECS with a /16 source: the /16 is hashed, scope 16", () => {
    const zone = spilling([{ to: NORTH, fraction: 0.5, servers: NORTH_SERVERS }]);
    expect(ask(zone, "192.0.2.53", [0, 1, 16, 0, 100, 64]).scope).toBe(16);
  });

  test("the §8.2 CNAME scheme: a spilled resolver is sent to the share's own name, holding north's addresses", () => {
    const site = fixtureSite({ answerScheme: "cname" });
    const zone = spilling([{ to: NORTH, fraction: 0.5, servers: NORTH_SERVERS }], { site });
    expect(new Set(SOURCES.slice(0, 100).map((s) => ask(zone, s).cluster))).toEqual(new Set(["east", "north"]));
    expect(ask(zone, "192.0.2.53", undefined, "www.area-east.spill-north.example.test").cluster).toBe("north");
  });

  test("another area's resolvers are not touched", () => {
    expect(ask(spilling([{ to: NORTH, fraction: 0.9, servers: NORTH_SERVERS }]), "198.51.100.53").cluster).toBe("west");
  });
});
