// The answer path with the location map: what a reply carries (RFC 7871 §7.2), end to end
// through the DNS answerer with the hook the nameserver installs.

import { describe, expect, test } from "bun:test";
import { decode, encode, type DecodedPacket, type OptAnswer } from "dns-packet";
import { reply, type AnswerContext } from "../../../src/dns/answer.ts";
import { locationChooser } from "../../../src/geo/choose-area.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";
import { EAST, fixtureZone, NORTH, WEST } from "../dns/site-fixture.ts";

const MAP = new LocationMap(parseMapText("198.51.100.0/24 west\n203.0.113.0/24 north\n2001:db8:100::/40 north\n", new Set([EAST, WEST, NORTH]), "map").entries);
const ZONE = fixtureZone();

function ask(name: string, type: "A" | "SOA" | "NS" | "MX", source: string, ecs?: number[], counts = new SteeringCounts([EAST, WEST, NORTH])) {
  const options = ecs ? [{ code: 8, data: Buffer.from(ecs) }] : [];
  const opt = { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options } as unknown as OptAnswer;
  const query = encode({ type: "query", id: 7, flags: 0, questions: [{ name, type, class: "IN" }], additionals: [opt] });
  const ctx: AnswerContext = { transport: "udp", rotation: 0, source, chooseArea: locationChooser(() => MAP, EAST, counts) };
  const r = reply(query, ZONE, ctx);
  if (!r) throw new Error("dropped");
  const p = decode(Buffer.from(r.bytes));
  return { rcode: r.rcode, p, ecs: ecsOf(p), a: (p.answers ?? []).flatMap((x) => (x.type === "A" ? [x.data] : [])).sort() };
}

/** The reply's ECS option as [family, source, scope, ...address as dns-packet shows it], or undefined. */
function ecsOf(p: DecodedPacket): number[] | undefined {
  const opt = p.additionals?.find((x): x is OptAnswer => x.type === "OPT");
  const o = (opt?.options ?? []).find((x) => x.code === 8);
  if (!o) return undefined;
  const raw = o as unknown as { family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string };
  return [
    raw.family,
    raw.sourcePrefixLength,
    raw.scopePrefixLength,
    ...(raw.ip ?? "")
      .split(/[.:]/)
      .filter(Boolean)
      .map((x) => (raw.family === 1 ? Number(x) : parseInt(x, 16))),
  ];
}

describe("replies steered by location", () => {
  test("no ECS: the resolver's area, and no ECS in the reply", () => {
    const r = ask("www.example.test", "A", "198.51.100.53");
    expect(r.a).toEqual(["10.0.2.1", "10.0.2.2"]);
    expect(r.ecs).toBeUndefined();
  });

  test("a resolver outside the map: this nameserver's own area (east)", () => {
    expect(ask("www.example.test", "A", "192.0.2.53").a).toEqual(["10.0.1.1", "10.0.1.2"]);
  });

  test("ECS: the client's area, family/source/address echoed, scope of the deciding entry", () => {
    const r = ask("www.example.test", "A", "198.51.100.53", [0, 1, 24, 0, 203, 0, 113]);
    expect(r.a).toEqual(["10.0.3.1", "10.0.3.2"]);
    expect(r.ecs).toEqual([1, 24, 24, 203, 0, 113, 0]);
  });

  test("ECS with source prefix 0: the resolver decides, scope 0", () => {
    const r = ask("www.example.test", "A", "198.51.100.53", [0, 1, 0, 0]);
    expect(r.a).toEqual(["10.0.2.1", "10.0.2.2"]);
    expect(r.ecs?.slice(0, 3)).toEqual([1, 0, 0]);
  });

  test("IPv6 ECS /56 decided by a /40: scope 40", () => {
    const r = ask("www.example.test", "A", "192.0.2.53", [0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0xab]);
    expect(r.a).toEqual(["10.0.3.1", "10.0.3.2"]);
    expect(r.ecs?.slice(0, 3)).toEqual([2, 56, 40]);
  });

  test.each([
    ["example.test", "SOA"],
    ["example.test", "NS"],
    ["nope.example.test", "A"],
  ] as const)("%s %s is not steered: ECS echoed with scope 0", (name, type) => {
    const r = ask(name, type, "198.51.100.53", [0, 1, 24, 0, 203, 0, 113]);
    expect(r.ecs).toEqual([1, 24, 0, 203, 0, 113, 0]);
  });

  test("a malformed ECS option: FORMERR, counted", () => {
    const counts = new SteeringCounts([EAST, WEST, NORTH]);
    const r = ask("www.example.test", "A", "198.51.100.53", [0, 1, 24, 0, 203, 0, 113, 9], counts);
    expect(r.rcode).toBe("FORMERR");
    expect(r.a).toEqual([]);
    expect(counts.snapshot().malformed).toEqual({ "ecs-address-length": 1 });
  });
});
