import { describe, expect, test } from "bun:test";
import { decode, encode, type Answer, type DecodedPacket, type OptAnswer, type RecordType } from "dns-packet";
import type { AreaName, ServerName } from "../../../src/core/types.ts";
import { reply, type AnswerContext } from "../../../src/dns/answer.ts";
import { oversizedClusters } from "../../../src/dns/fit.ts";
import type { Zone } from "../../../src/dns/zone.ts";
import { crowdedZone, EAST, EAST_V4, fixtureSigning, fixtureSite, fixtureZone, NORTH, server, WEST } from "./site-fixture.ts";

const UDP: AnswerContext = { transport: "udp", rotation: 0 };
const TCP: AnswerContext = { transport: "tcp", rotation: 0 };

function query(name: string, type: RecordType | "AXFR" = "A", o: { edns?: boolean; options?: { code: number; data: Buffer }[] } = {}): Buffer {
  const opt =
    o.edns || o.options
      ? ({ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: o.options ?? [] } as unknown as OptAnswer)
      : undefined;
  return encode({ type: "query", id: 99, questions: [{ name, type: type as RecordType }], additionals: opt ? [opt] : [] });
}

function ask(zone: Zone, name: string, type: RecordType | "AXFR" = "A", ctx: AnswerContext = UDP): DecodedPacket & { raw: Uint8Array; more: Uint8Array[] } {
  const r = reply(query(name, type), zone, ctx);
  if (!r) throw new Error("dropped");
  return { ...decode(Buffer.from(r.bytes)), raw: r.bytes, more: r.more ?? [] };
}

const rdata = (records: Answer[] | undefined) => (records ?? []).map((r): unknown => ("data" in r ? r.data : r.type));
const rcode = (p: DecodedPacket) => (p.flags ?? 0) & 0xf;
const lowerNames = (bytes: Uint8Array | undefined) => {
  const p = decode(Buffer.from(bytes ?? []));
  for (const r of [...(p.questions ?? []), ...(p.answers ?? [])]) r.name = r.name.toLowerCase();
  return p;
};
/** The zone without its templates: every answer takes the general path. */
const slow = (zone: Zone): Zone => ({ ...zone, templates: new Map() });

describe("templates: the hot path answers exactly like the general path", () => {
  const zones: [string, Zone][] = [
    ["addresses", fixtureZone()],
    ["cname", fixtureZone({ site: fixtureSite({ answerScheme: "cname" }) })],
    ["crowded", crowdedZone(30)],
  ];
  for (const [what, zone] of zones) {
    test(what, () => {
      for (const type of ["A", "AAAA"] as const) {
        for (let rotation = 0; rotation < 7; rotation++) {
          for (const edns of [false, true]) {
            for (const name of ["www.example.test", "WwW.ExAmple.TEST"]) {
              const ctx = { ...UDP, rotation };
              const q = query(name, type, { edns });
              const fast = reply(q, zone, ctx);
              const general = reply(q, slow(zone), ctx);
              expect(fast?.rcode).toBe(general?.rcode);
              // Both compress alike, so the bytes are the same; owners point into the question and take its case.
              expect(fast?.bytes).toEqual(general?.bytes);
            }
          }
        }
      }
    });
  }
  test("the question's bytes are echoed exactly on the hot path", () => {
    const q = query("wWw.EXAMPLE.test");
    const out = reply(q, fixtureZone(), UDP)?.bytes ?? new Uint8Array();
    expect(Buffer.from(out.subarray(12, q.byteLength))).toEqual(Buffer.from(q.subarray(12)));
  });
});

describe("rotation fairness", () => {
  test("each address leads equally often over many queries, on the hot path", () => {
    const zone = crowdedZone(7);
    const leads = new Map<unknown, number>();
    for (let rotation = 0; rotation < 700; rotation++) {
      const p = ask(zone, "www.example.test", "A", { ...UDP, rotation });
      expect(p.answers?.length).toBe(7);
      leads.set(rdata(p.answers)[0], (leads.get(rdata(p.answers)[0]) ?? 0) + 1);
    }
    expect([...leads.values()]).toEqual(Array(7).fill(100));
  });
});

describe("CNAME scheme (thesis §8.2)", () => {
  const zone = fixtureZone({ site: fixtureSite({ answerScheme: "cname" }) });
  test("the balanced name is a CNAME to the area's own name, which holds the addresses", () => {
    const p = ask(zone, "www.example.test");
    expect(p.answers?.map((a) => [a.name, a.type, "data" in a ? a.data : null])).toEqual([
      ["www.example.test", "CNAME", "www.area-east.example.test"],
      ...EAST_V4.map((ip) => ["www.area-east.example.test", "A", ip]),
    ]);
  });
  test("every area's own name answers with that area's servers", () => {
    expect(rdata(ask(zone, "www.area-west.example.test").answers)).toEqual(["10.0.2.1", "10.0.2.2"]);
    expect(rdata(ask(zone, "www.area-north.example.test").answers)).toEqual(["10.0.3.1", "10.0.3.2"]);
  });
  test("CNAME asked for: the CNAME alone; NODATA type: CNAME plus SOA", () => {
    expect(rdata(ask(zone, "www.example.test", "CNAME").answers)).toEqual(["www.area-east.example.test"]);
    const mx = ask(zone, "www.example.test", "MX");
    expect([rcode(mx), rdata(mx.answers), mx.authorities?.map((a) => a.type)]).toEqual([0, ["www.area-east.example.test"], ["SOA"]]);
  });
});

describe("static records", () => {
  const site = fixtureSite({
    records: [
      { name: "example.test", type: "MX", ttlSeconds: 300, data: "10 mail.example.test." },
      { name: "example.test", type: "TXT", ttlSeconds: 300, data: "v=spf1 -all" },
      { name: "mail.example.test", type: "A", ttlSeconds: 300, data: "192.0.2.25" },
      { name: "mail.example.test", type: "A", ttlSeconds: 300, data: "192.0.2.26" },
      { name: "blog.example.test", type: "CNAME", ttlSeconds: 300, data: "mail" },
      { name: "_sip._udp.example.test", type: "SRV", ttlSeconds: 300, data: "0 5 5060 mail.example.test." },
    ],
  });
  const zone = fixtureZone({ site });
  test("MX, TXT, A, SRV answered as configured", () => {
    expect(rdata(ask(zone, "example.test", "MX").answers)).toEqual([{ preference: 10, exchange: "mail.example.test" }]);
    expect(rdata(ask(zone, "example.test", "TXT").answers)).toEqual([[Buffer.from("v=spf1 -all")]]);
    expect(rdata(ask(zone, "mail.example.test").answers)).toEqual(["192.0.2.25", "192.0.2.26"]);
    expect(rdata(ask(zone, "_sip._udp.example.test", "SRV").answers)).toEqual([{ priority: 0, weight: 5, port: 5060, target: "mail.example.test" }]);
    expect(ask(zone, "mail.example.test").answers?.[0]).toMatchObject({ ttl: 300 });
  });
  test("an in-zone CNAME is followed; the names under _udp make an empty non-terminal", () => {
    expect(rdata(ask(zone, "blog.example.test").answers)).toEqual(["mail.example.test", "192.0.2.25", "192.0.2.26"]);
    expect(rcode(ask(zone, "_udp.example.test", "SRV"))).toBe(0);
  });
  test("the apex keeps its SOA and NS", () => {
    expect(ask(zone, "example.test", "SOA").answers?.length).toBe(1);
    expect(ask(zone, "example.test", "NS").answers?.length).toBe(3);
  });
});

describe("cap on addresses per answer", () => {
  test("only the first max_answer_addresses, in preference order", () => {
    const crowd = Array.from({ length: 50 }, (_, i) => server(`east-${i + 1}`, EAST, `10.1.0.${i + 1}`));
    const site = fixtureSite({ maxAnswerAddresses: 5, servers: [...crowd, ...fixtureSite().servers.filter((s) => s.area !== EAST)] });
    const order = new Map<AreaName, ServerName[]>([[EAST, crowd.map((s) => s.name).reverse()]]);
    const zone = fixtureZone({ site, serversByArea: order });
    expect(rdata(ask(zone, "www.example.test").answers)).toEqual(["10.1.0.50", "10.1.0.49", "10.1.0.48", "10.1.0.47", "10.1.0.46"]);
  });
});

describe("zone transfer", () => {
  const zone = fixtureZone();
  test("refused over UDP, and over TCP when the sender is not allowed", () => {
    expect(rcode(ask(zone, "example.test", "AXFR", UDP))).toBe(5);
    expect(rcode(ask(zone, "example.test", "AXFR", TCP))).toBe(5);
    expect(rcode(ask(zone, "example.test", "AXFR", { ...UDP, transferAllowed: true }))).toBe(5);
  });
  test("served over TCP to an allowed sender: SOA first and last, the served area's answers", () => {
    const p = ask(zone, "example.test", "AXFR", { ...TCP, transferAllowed: true });
    const records = p.answers ?? [];
    expect(rcode(p)).toBe(0);
    expect(records[0]?.type).toBe("SOA");
    expect(records.at(-1)?.type).toBe("SOA");
    expect(records.filter((r) => r.name === "www.example.test" && r.type === "A").map((r) => ("data" in r ? r.data : null))).toEqual(EAST_V4);
    expect(p.more).toEqual([]);
  });
  test("a big zone spans several messages", () => {
    const many = [
      ...Array.from({ length: 450 }, (_, i) => ({ name: "many.example.test", type: "A", ttlSeconds: 60, data: `10.7.${i >> 8}.${i & 255}` })),
      ...Array.from({ length: 40 }, (_, i) => ({ name: `t${i}.example.test`, type: "TXT", ttlSeconds: 60, data: "x".repeat(3900) })),
    ];
    const p = ask(fixtureZone({ site: fixtureSite({ records: many }) }), "example.test", "AXFR", { ...TCP, transferAllowed: true });
    const all = [p, ...p.more.map((m) => decode(Buffer.from(m)))].flatMap((m) => m.answers ?? []);
    expect(p.more.length).toBeGreaterThan(0);
    expect(all.filter((r) => r.type === "A" && r.name === "many.example.test").length).toBe(450);
    expect(all.filter((r) => r.type === "TXT").length).toBe(40);
    for (const m of [p.raw, ...p.more]) expect(m.byteLength).toBeLessThan(65_535);
    expect([p, ...p.more.map((m) => decode(Buffer.from(m)))].some((m) => m.flag_tc)).toBe(false);
    expect([all[0]?.type, all.at(-1)?.type]).toEqual(["SOA", "SOA"]);
  });
});

describe("the area chosen per query", () => {
  const zone = fixtureZone();
  test("the chooser sees the query's EDNS options and the sender, and its area answers", () => {
    const seen: unknown[] = [];
    const ecs = Buffer.from([0, 1, 24, 0, 192, 0, 2]);
    const ctx: AnswerContext = {
      ...UDP,
      source: "198.51.100.7",
      chooseArea: (q) => {
        seen.push([q.source, q.options.map((o) => [o.code, Buffer.from(o.data)])]);
        return { area: WEST, options: [{ code: 8, data: Buffer.from([0, 1, 24, 16, 192, 0, 2]) }] };
      },
    };
    for (const z of [zone, slow(zone)]) {
      const r = reply(query("www.example.test", "A", { options: [{ code: 8, data: ecs }] }), z, ctx);
      const p = decode(Buffer.from(r?.bytes ?? []));
      expect(rdata(p.answers)).toEqual(["10.0.2.1", "10.0.2.2"]);
      const opt = p.additionals?.find((a): a is OptAnswer => a.type === "OPT");
      expect(opt?.options?.[0]).toMatchObject({ code: 8, scopePrefixLength: 16, sourcePrefixLength: 24 });
    }
    expect(seen).toEqual([
      ["198.51.100.7", [[8, ecs]]],
      ["198.51.100.7", [[8, ecs]]],
    ]);
  });
  test("answers the area does not change carry the unsteered options (ECS scope 0)", () => {
    const steered = { code: 8, data: Buffer.from([0, 1, 24, 24, 192, 0, 2]) };
    const unsteered = { code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) };
    const ctx: AnswerContext = { ...UDP, chooseArea: () => ({ area: WEST, options: [steered], unsteeredOptions: [unsteered] }) };
    const scopeOf = (name: string, type: RecordType) => {
      const p = decode(Buffer.from(reply(query(name, type, { edns: true }), zone, ctx)?.bytes ?? []));
      return (p.additionals?.find((a): a is OptAnswer => a.type === "OPT")?.options?.[0] as { scopePrefixLength?: number } | undefined)?.scopePrefixLength;
    };
    expect([scopeOf("www.example.test", "A"), scopeOf("www.example.test", "MX"), scopeOf("example.test", "SOA"), scopeOf("nope.example.test", "A")]).toEqual([
      24, 24, 0, 0,
    ]);
  });
  test("no OPT in the query: no options in the reply, the chosen area still answers", () => {
    const r = reply(query("www.example.test"), zone, { ...UDP, chooseArea: () => ({ area: NORTH, options: [{ code: 8, data: Buffer.alloc(4) }] }) });
    const p = decode(Buffer.from(r?.bytes ?? []));
    expect([rdata(p.answers), p.additionals?.length]).toEqual([["10.0.3.1", "10.0.3.2"], 0]);
  });
  test("a chooser's FORMERR (a malformed ECS option) is answered", () => {
    const r = reply(query("www.example.test", "A", { edns: true }), zone, { ...UDP, chooseArea: () => ({ area: EAST, formerr: true }) });
    expect(r?.rcode).toBe("FORMERR");
  });
  test("unknown options are ignored, malformed option lengths are FORMERR", () => {
    expect(rdata(ask(zone, "www.example.test").answers)).toEqual(EAST_V4);
    const withOption = query("www.example.test", "A", { options: [{ code: 65001, data: Buffer.from([1, 2, 3]) }] });
    expect(reply(withOption, zone, UDP)?.rcode).toBe("NOERROR");
    const broken = Buffer.from(withOption);
    broken.writeUInt16BE(9, broken.byteLength - 5); // option length beyond the OPT's data
    expect(reply(broken, zone, UDP)?.rcode).toBe("FORMERR");
  });
});

describe("name compression in every reply (RFC 1035 §4.1.4)", () => {
  const many = Array.from({ length: 40 }, (_, i) => ({ name: "many.example.test", type: "A", ttlSeconds: 60, data: `10.7.0.${i + 1}` }));
  const zone = fixtureZone({
    site: fixtureSite({ records: [...many, { name: "mail.example.test", type: "MX", ttlSeconds: 60, data: "10 mx.example.test" }] }),
  });

  test("a 40-address static record fits one 1232-byte datagram: owners are pointers to the question", () => {
    const q = query("many.example.test", "A", { edns: true });
    const r = reply(q, zone, { ...UDP, udpSize: 1232 });
    // Header, question (23), 40 × (pointer 2 + fixed 10 + address 4), OPT (11): what Knot sends.
    expect(r?.bytes.byteLength).toBe(12 + 23 + 40 * 16 + 11);
    expect(r?.truncated).toBe(false);
    expect(rdata(decode(Buffer.from(r?.bytes ?? [])).answers).length).toBe(40);
  });
  test("names inside the data and the authority's SOA are compressed and decode back", () => {
    const mx = ask(zone, "mail.example.test", "MX");
    expect(rdata(mx.answers)).toEqual([{ preference: 10, exchange: "mx.example.test" }]);
    expect(mx.raw.byteLength).toBeLessThan(encode({ ...mx, type: "response" }).byteLength);
    const nx = ask(zone, "nope.example.test");
    expect(nx.authorities?.[0]?.type).toBe("SOA");
    expect(nx.raw.byteLength).toBeLessThan(encode({ ...nx, type: "response" }).byteLength);
  });
});

describe("does a cluster's answer fit one datagram", () => {
  test("the crowded cluster is named with its size, which matches the real reply", () => {
    const crowd = Array.from({ length: 80 }, (_, i) => server(`east-${i + 1}`, EAST, `10.1.0.${i + 1}`));
    const site = fixtureSite({ maxAnswerAddresses: 100, servers: [...crowd, ...fixtureSite().servers.filter((s) => s.area !== EAST)] });
    const [over, ...rest] = oversizedClusters(site, 1232);
    expect(rest).toEqual([]);
    expect(over).toMatchObject({ cluster: "east", type: "A", addresses: 80 });
    const r = reply(query("www.example.test", "A", { edns: true }), fixtureZone({ site }), TCP);
    expect(over?.bytes).toBe(r?.bytes.byteLength);
    expect(oversizedClusters({ ...site, maxAnswerAddresses: 60 }, 1232)).toEqual([]);
    expect(oversizedClusters(fixtureSite({ answerScheme: "cname" }), 512)).toEqual([]);
    const cnameSite = { ...site, answerScheme: "cname" as const };
    const viaCname = reply(query("www.example.test", "A", { edns: true }), fixtureZone({ site: cnameSite }), TCP);
    expect(oversizedClusters(cnameSite, 1232)[0]?.bytes).toBe(viaCname?.bytes.byteLength);
  });

  test("for a signed zone the size counts the RRSIGs a query with DO gets", () => {
    const crowd = Array.from({ length: 70 }, (_, i) => server(`east-${i + 1}`, EAST, `10.1.0.${i + 1}`));
    const site = fixtureSite({ maxAnswerAddresses: 100, servers: [...crowd, ...fixtureSite().servers.filter((s) => s.area !== EAST)] });
    expect(oversizedClusters(site, 1232)).toEqual([]);
    for (const signed of [
      { ...site, dnssecKeys: "/keys" },
      { ...site, dnssecKeys: "/keys", answerScheme: "cname" as const },
    ]) {
      const [over] = oversizedClusters(signed, 1232);
      const withDo = encode({
        type: "query",
        id: 99,
        questions: [{ name: "www.example.test", type: "A" }],
        additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0x8000, options: [] } as unknown as OptAnswer],
      });
      expect(over?.bytes).toBe(reply(withDo, fixtureZone({ site: signed, dnssec: fixtureSigning() }), TCP)?.bytes.byteLength);
    }
  });
});
