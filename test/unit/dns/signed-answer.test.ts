// Answers from a signed zone (issue 21): nothing changes without DO; with DO every RRset carries
// its RRSIG, a denial its compact NSEC (RFC 9824), and signing on demand stops at its cap.

import { expect, test } from "bun:test";
import { decode, type Answer } from "dns-packet";
import { reply } from "../../../src/dns/answer.ts";
import { EAST, fixtureSigning, fixtureZone, NORTH, WEST } from "./site-fixture.ts";
import { locationChooser } from "../../../src/geo/choose-area.ts";
import { LocationMap, parseMapText } from "../../../src/geo/location-map.ts";
import { SteeringCounts } from "../../../src/geo/steering-counts.ts";

function query(name: string, type: number, doBit: boolean, option: number[] = []): Uint8Array {
  const qname = [...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
  const opt = [0, 0, 41, 4, 208, 0, 0, doBit ? 0x80 : 0, 0, option.length >> 8, option.length & 0xff, ...option];
  return Uint8Array.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...qname, type >> 8, type & 0xff, 0, 1, ...opt]);
}

const rcodeOf = (p: object) => (p as { rcode?: string }).rcode;
const types = (rrs: readonly Answer[] | undefined) => (rrs ?? []).map((r) => r.type);
const ask = (zone: ReturnType<typeof fixtureZone>, name: string, type: number, doBit: boolean) =>
  reply(query(name, type, doBit), zone, { transport: "udp", rotation: 3 })!;

test("without DO a signed zone answers as an unsigned one", () => {
  const plain = fixtureZone();
  const signed = fixtureZone({ dnssec: fixtureSigning() });
  for (const [name, type] of [
    ["www.example.test", 1],
    ["www.example.test", 28],
    ["example.test", 2],
    ["nope.example.test", 1],
    ["example.test", 15],
  ] as const)
    expect(ask(signed, name, type, false).bytes).toEqual(ask(plain, name, type, false).bytes);
});

test("with DO: RRSIGs after each RRset, DNSKEY at the apex, compact denial for NODATA and NXDOMAIN", () => {
  const zone = fixtureZone({ dnssec: fixtureSigning() });
  const a = decode(Buffer.from(ask(zone, "www.example.test", 1, true).bytes));
  expect(types(a.answers)).toEqual(["A", "A", "RRSIG"]);
  expect(types(decode(Buffer.from(ask(zone, "example.test", 48, true).bytes)).answers)).toEqual(["DNSKEY", "RRSIG"]);

  const nodata = decode(Buffer.from(ask(zone, "www.example.test", 16, true).bytes));
  expect(rcodeOf(nodata)).toBe("NOERROR");
  expect(types(nodata.authorities)).toEqual(["SOA", "RRSIG", "NSEC", "RRSIG"]);
  const nsec = nodata.authorities?.find((r) => r.type === "NSEC") as { name: string; data: { nextDomain: string; rrtypes: string[] } };
  expect(nsec.name).toBe("www.example.test");
  expect(nsec.data.rrtypes.sort()).toEqual(["A", "AAAA", "NSEC", "RRSIG"]);

  const nx = decode(Buffer.from(ask(zone, "nope.example.test", 1, true).bytes));
  expect(rcodeOf(nx)).toBe("NOERROR");
  const nxNsec = nx.authorities?.find((r) => r.type === "NSEC") as { name: string; data: { rrtypes: string[] } };
  expect(nxNsec.name).toBe("nope.example.test");
  expect(nxNsec.data.rrtypes.sort()).toEqual(["NSEC", "RRSIG", "UNKNOWN_128"]);
  // Without DO the rcode stays NXDOMAIN.
  expect(rcodeOf(decode(Buffer.from(ask(zone, "nope.example.test", 1, false).bytes)))).toBe("NXDOMAIN");
});

test("names that do not exist are signed on demand up to the cap, then SERVFAIL; a repeated name comes from the cache", () => {
  const zone = fixtureZone({ dnssec: fixtureSigning(1_800_000_000, { entries: 100, perSecond: 3 }) });
  const rcodes = ["a", "b", "c", "a", "d"].map((l) => rcodeOf(decode(Buffer.from(ask(zone, `${l}.example.test`, 1, true).bytes))));
  expect(rcodes).toEqual(["NOERROR", "NOERROR", "NOERROR", "NOERROR", "SERVFAIL"]);
});

test("an ECS-steered answer carries the signature made for that area's RRset", () => {
  const zone = fixtureZone({ dnssec: fixtureSigning() });
  const chooseArea = locationChooser(
    () => new LocationMap(parseMapText("198.51.100.0/24 west\n", new Set([EAST, WEST, NORTH]), "map").entries),
    EAST,
    new SteeringCounts([EAST, WEST, NORTH]),
  );
  const ecs = [0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100];
  const r = decode(Buffer.from(reply(query("www.example.test", 1, true, ecs), zone, { transport: "udp", rotation: 1, chooseArea })!.bytes));
  const west = zone.balanced.get(WEST)!.get("www.example.test")!.get(1)!;
  expect(
    (r.answers ?? [])
      .filter((a) => a.type === "A")
      .map((a) => (a as { data: string }).data)
      .sort(),
  ).toEqual(west.map((a) => (a as { data: string }).data).sort());
  const sig = (r.answers ?? []).find((a) => a.type === "RRSIG") as { data: { signature: Buffer } };
  expect(Buffer.from(sig.data.signature)).toEqual(Buffer.from((zone.dnssec!.rrsigs.get(west)![0] as unknown as { data: Buffer }).data.subarray(-64)));
});
