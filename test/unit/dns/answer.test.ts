import { describe, expect, test } from "bun:test";
import {
  CHECKING_DISABLED,
  decode,
  DNSSEC_OK,
  encode,
  RECURSION_DESIRED,
  type Answer,
  type DecodedPacket,
  type OptAnswer,
  type RecordClass,
  type RecordType,
} from "dns-packet";
import { areaName, serverName, type AreaName, type ServerName } from "../../../src/core/types.ts";
import { answerQuery, reply, servfail, type AnswerContext } from "../../../src/dns/answer.ts";
import type { Zone } from "../../../src/dns/zone.ts";
import { crowdedZone, EAST, EAST_V4, EAST_V6, fixtureSite, fixtureZone, server } from "./site-fixture.ts";

interface Ask {
  name: string;
  type?: RecordType | "ANY"; // dns-packet encodes ANY but its types leave it out
  klass?: RecordClass;
  id?: number;
  flags?: number;
  edns?: { size?: number; version?: number; do?: boolean };
}

const UDP: AnswerContext = { transport: "udp", rotation: 0 };
const TCP: AnswerContext = { transport: "tcp", rotation: 0 };

function query({ name, type = "A", klass = "IN", id = 4321, flags = 0, edns }: Ask): Buffer {
  const opt: OptAnswer | undefined = edns && {
    type: "OPT",
    name: ".",
    udpPayloadSize: edns.size ?? 4096,
    extendedRcode: 0,
    ednsVersion: edns.version ?? 0,
    flags: edns.do ? DNSSEC_OK : 0,
    flag_do: edns.do ?? false,
    options: [],
  };
  return encode({ type: "query", id, flags, questions: [{ name, type: type as RecordType, class: klass }], additionals: opt ? [opt] : [] });
}

function answerBytes(bytes: Uint8Array, zone: Zone = fixtureZone(), ctx: AnswerContext = UDP): Uint8Array {
  const out = answerQuery(bytes, zone, ctx);
  if (!out) throw new Error("query was dropped");
  return out;
}

function ask(a: Ask, zone?: Zone, ctx?: AnswerContext): DecodedPacket {
  return decode(Buffer.from(answerBytes(query(a), zone, ctx)));
}

const optOf = (p: DecodedPacket) => p.additionals?.find((a): a is OptAnswer => a.type === "OPT");
const rcodeOf = (p: DecodedPacket) => ((optOf(p)?.extendedRcode ?? 0) << 4) | ((p.flags ?? 0) & 0xf);
const opcodeOf = (p: DecodedPacket) => ((p.flags ?? 0) >> 11) & 0xf;
const data = (records: Answer[] | undefined) => (records ?? []).map((r): unknown => ("data" in r ? r.data : r.type));
const types = (records: Answer[] | undefined) => (records ?? []).filter((r) => r.type !== "OPT").map((r): string => r.type);

describe("answerQuery: what is answered", () => {
  const cases: {
    what: string;
    ask: Ask;
    rcode: number;
    aa: boolean;
    answer?: unknown[];
    authority?: string[];
    additional?: unknown[];
  }[] = [
    { what: "A at a balanced name", ask: { name: "www.example.test" }, rcode: 0, aa: true, answer: EAST_V4 },
    { what: "AAAA at a balanced name", ask: { name: "www.example.test", type: "AAAA" }, rcode: 0, aa: true, answer: EAST_V6 },
    { what: "type without data: NODATA", ask: { name: "www.example.test", type: "MX" }, rcode: 0, aa: true, answer: [], authority: ["SOA"] },
    {
      what: "NS at the apex, with glue",
      ask: { name: "example.test", type: "NS" },
      rcode: 0,
      aa: true,
      answer: ["ns-east.example.test", "ns-west.example.test", "ns-north.example.test"],
      additional: ["127.0.0.1", "127.0.0.2", "127.0.0.3"],
    },
    { what: "A at the apex: NODATA", ask: { name: "example.test" }, rcode: 0, aa: true, answer: [], authority: ["SOA"] },
    { what: "A of a nameserver", ask: { name: "ns-west.example.test" }, rcode: 0, aa: true, answer: ["127.0.0.2"] },
    { what: "AAAA of a v4-only nameserver", ask: { name: "ns-west.example.test", type: "AAAA" }, rcode: 0, aa: true, answer: [], authority: ["SOA"] },
    { what: "missing name: NXDOMAIN", ask: { name: "nope.example.test" }, rcode: 3, aa: true, answer: [], authority: ["SOA"] },
    { what: "below a balanced name: NXDOMAIN", ask: { name: "x.www.example.test" }, rcode: 3, aa: true, answer: [], authority: ["SOA"] },
    { what: "outside the zone: REFUSED", ask: { name: "www.other.test" }, rcode: 5, aa: false, answer: [], authority: [] },
    { what: "the parent: REFUSED", ask: { name: "test" }, rcode: 5, aa: false, answer: [], authority: [] },
    { what: "a suffix look-alike: REFUSED", ask: { name: "badexample.test" }, rcode: 5, aa: false, answer: [] },
    { what: "class CH: REFUSED", ask: { name: "www.example.test", klass: "CH" }, rcode: 5, aa: false, answer: [] },
    { what: "zone transfer: REFUSED", ask: { name: "example.test", type: "AXFR" }, rcode: 5, aa: false, answer: [] },
    { what: "ANY at a balanced name: the A RRset only", ask: { name: "www.example.test", type: "ANY" }, rcode: 0, aa: true, answer: EAST_V4 },
    { what: "ANY at the apex: the SOA only", ask: { name: "example.test", type: "ANY" }, rcode: 0, aa: true, answer: ["SOA"] },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const p = ask(c.ask);
      expect(rcodeOf(p)).toBe(c.rcode);
      expect(p.flag_aa).toBe(c.aa);
      expect(p.flag_ra).toBe(false);
      expect(p.flag_tc).toBe(false);
      if (c.answer) {
        const answers = p.answers ?? [];
        expect(answers.map((r): unknown => (r.type === "SOA" ? "SOA" : "data" in r ? r.data : null))).toEqual(c.answer);
        for (const r of answers) expect("ttl" in r && r.ttl).toBe(30);
      }
      if (c.authority) expect(types(p.authorities)).toEqual(c.authority);
      if (c.additional) expect(data(p.additionals)).toEqual(c.additional);
    });
  }

  test("SOA at the apex", () => {
    const [soa] = ask({ name: "example.test", type: "SOA" }).answers ?? [];
    expect(soa).toMatchObject({
      name: "example.test",
      ttl: 30,
      data: { mname: "ns-east.example.test", rname: "hostmaster.example.test", serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 30 },
    });
  });

  test("negative answers carry the SOA with TTL = minimum", () => {
    for (const name of ["nope.example.test", "www.example.test"]) {
      const [soa] = ask({ name, type: "TXT" }).authorities ?? [];
      expect(soa).toMatchObject({ type: "SOA", name: "example.test", ttl: 30, data: { minimum: 30 } });
    }
  });

  test("an empty non-terminal is NODATA, its unused sibling NXDOMAIN", () => {
    const zone = fixtureZone({ site: fixtureSite({ names: ["www.example.test", "www.eu.example.test"] }) });
    const ent = ask({ name: "eu.example.test" }, zone);
    expect(rcodeOf(ent)).toBe(0);
    expect(ent.flag_aa).toBe(true);
    expect(types(ent.authorities)).toEqual(["SOA"]);
    expect(rcodeOf(ask({ name: "us.example.test" }, zone))).toBe(3);
    expect(data(ask({ name: "www.eu.example.test" }, zone).answers)).toEqual(EAST_V4);
  });
});

describe("answerQuery: header and question", () => {
  test("id copied, QR and AA set, RA clear, RD and CD copied", () => {
    const plain = ask({ name: "www.example.test", id: 0xbeef });
    expect(plain.id).toBe(0xbeef);
    expect([plain.type, plain.flag_aa, plain.flag_ra, plain.flag_rd, plain.flag_cd]).toEqual(["response", true, false, false, false]);
    const rdcd = ask({ name: "www.example.test", flags: RECURSION_DESIRED | CHECKING_DISABLED });
    expect([rdcd.flag_rd, rdcd.flag_cd, rdcd.flag_ra]).toEqual([true, true, false]);
  });

  test("the question is echoed with its 0x20 case, names match without case", () => {
    const sent = query({ name: "wWw.ExAmPlE.tEsT", type: "AAAA" });
    const out = answerBytes(sent);
    const questionBytes = sent.subarray(12);
    expect(Buffer.from(out.subarray(12, 12 + questionBytes.byteLength)).equals(questionBytes)).toBe(true);
    const p = decode(Buffer.from(out));
    expect(p.questions).toEqual([{ name: "wWw.ExAmPlE.tEsT", type: "AAAA", class: "IN" }]);
    expect(data(p.answers)).toEqual(EAST_V6);
  });

  test("class ANY is answered like IN", () => {
    expect(data(ask({ name: "www.example.test", klass: "ANY" }).answers)).toEqual(EAST_V4);
  });
});

describe("answerQuery: rotation", () => {
  const leaders = (zone: Zone, responses: number, ctx: AnswerContext) => {
    const counts = new Map<unknown, number>();
    for (let rotation = 0; rotation < responses; rotation++) {
      const answers = data(ask({ name: "www.example.test" }, zone, { ...ctx, rotation }).answers);
      counts.set(answers[0], (counts.get(answers[0]) ?? 0) + 1);
    }
    return counts;
  };

  test("each of N addresses leads equally often over 3×N responses", () => {
    for (const [zone, n] of [
      [fixtureZone(), 2],
      [crowdedZone(30), 30],
    ] as const) {
      const counts = leaders(zone, 3 * n, TCP);
      expect(counts.size).toBe(n);
      expect([...counts.values()].every((c) => c === 3)).toBe(true);
    }
  });

  test("rotation keeps the set and its cyclic order", () => {
    expect(data(ask({ name: "www.example.test" }, fixtureZone(), { ...UDP, rotation: 1 }).answers)).toEqual(["10.0.1.2", "10.0.1.1"]);
  });
});

describe("answerQuery: EDNS(0)", () => {
  test("no OPT in, no OPT out", () => {
    expect(optOf(ask({ name: "www.example.test" }))).toBeUndefined();
  });

  test("OPT echoed with our payload size, DO only when asked", () => {
    const plain = optOf(ask({ name: "www.example.test", edns: { size: 4096 } }));
    expect(plain).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0, extendedRcode: 0, flag_do: false });
    expect(optOf(ask({ name: "www.example.test", edns: { do: true } }))?.flag_do).toBe(true);
  });

  test("errors carry OPT too", () => {
    expect(optOf(ask({ name: "www.other.test", edns: {} }))).toBeDefined();
    expect(optOf(ask({ name: "nope.example.test", edns: {} }))).toBeDefined();
  });

  test("EDNS version 1 gets BADVERS (16) with an OPT of version 0", () => {
    const p = ask({ name: "www.example.test", edns: { version: 1 } });
    expect((p.flags ?? 0) & 0xf).toBe(0);
    expect(optOf(p)).toMatchObject({ extendedRcode: 1, ednsVersion: 0 });
    expect(rcodeOf(p)).toBe(16);
    expect(p.answers).toEqual([]);
    expect(p.questions?.[0]?.name).toBe("www.example.test");
  });

  test("two OPT records: FORMERR", () => {
    const bytes = query({ name: "www.example.test", edns: {} });
    const opt = bytes.subarray(bytes.byteLength - 11);
    const twice = Buffer.concat([bytes, opt]);
    twice.writeUInt16BE(2, 10);
    expect(rcodeOf(decode(Buffer.from(answerBytes(twice))))).toBe(1);
  });
});

describe("answerQuery: size limits", () => {
  const crowded = crowdedZone(30);

  const cases: { what: string; edns?: Ask["edns"]; ctx: AnswerContext; tc: boolean }[] = [
    { what: "UDP without EDNS: 512, truncated", ctx: UDP, tc: true },
    { what: "UDP with EDNS 4096: capped at 1232, fits", edns: { size: 4096 }, ctx: UDP, tc: false },
    { what: "UDP with EDNS 512: truncated", edns: { size: 512 }, ctx: UDP, tc: true },
    { what: "UDP with EDNS below 512: taken as 512", edns: { size: 100 }, ctx: UDP, tc: true },
    { what: "TCP: 65535, fits", ctx: TCP, tc: false },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const sent = query({ name: "www.example.test", edns: c.edns });
      const out = answerBytes(sent, crowded, c.ctx);
      const p = decode(Buffer.from(out));
      expect(p.flag_tc).toBe(c.tc);
      expect(p.answers?.length).toBe(c.tc ? 0 : 30);
      expect(p.questions?.[0]?.name).toBe("www.example.test");
      expect(out.byteLength).toBeLessThanOrEqual(c.ctx.transport === "tcp" ? 65535 : c.tc ? 512 : 1232);
      expect(optOf(p) !== undefined).toBe(c.edns !== undefined);
    });
  }

  test("a small answer with a tiny EDNS size still fits in 512", () => {
    const p = ask({ name: "www.example.test", edns: { size: 100 } });
    expect(p.flag_tc).toBe(false);
    expect(data(p.answers)).toEqual(EAST_V4);
  });

  test("glue that does not fit is left out without TC", () => {
    // Compressed, each NS record is 34 bytes and each glue record 16: 14 NS fit in 512, their glue does not.
    const areas = Array.from({ length: 14 }, (_, i) => ({
      name: areaName(`a${i}`),
      nameserverHost: `nameserver-number-${i}.example.test`,
      nameserverAddresses: [`127.0.1.${i}`],
    }));
    const servers = areas.map((a, i) => server(`s${i}`, a.name, `10.9.0.${i}`));
    const zone = fixtureZone({ site: fixtureSite({ areas, servers }), servedArea: areaName("a0") });
    const out = answerBytes(query({ name: "example.test", type: "NS" }), zone);
    const p = decode(Buffer.from(out));
    expect(out.byteLength).toBeLessThanOrEqual(512);
    expect(p.flag_tc).toBe(false);
    expect(p.answers?.length).toBe(14);
    expect(p.additionals?.length ?? 0).toBeLessThan(14);
    expect(ask({ name: "example.test", type: "NS" }, zone, TCP).additionals?.length).toBe(14);
  });
});

describe("answerQuery: malformed and unsupported", () => {
  const good = () => query({ name: "www.example.test", id: 0x1234 });

  test("shorter than a header: dropped", () => {
    expect(answerQuery(good().subarray(0, 11), fixtureZone(), UDP)).toBeNull();
    expect(answerQuery(new Uint8Array(0), fixtureZone(), UDP)).toBeNull();
  });

  test("a response (QR set): dropped", () => {
    const bytes = good();
    bytes[2] = (bytes[2] ?? 0) | 0x80;
    expect(answerQuery(bytes, fixtureZone(), UDP)).toBeNull();
  });

  test("opcode NOTIFY: NOTIMP, opcode echoed, no question", () => {
    const bytes = good();
    bytes[2] = (bytes[2] ?? 0) | (4 << 3);
    const p = decode(Buffer.from(answerBytes(bytes)));
    expect([rcodeOf(p), opcodeOf(p), p.id, p.questions?.length]).toEqual([4, 4, 0x1234, 0]);
  });

  const formerr: { what: string; bytes: () => Uint8Array }[] = [
    { what: "garbage after a valid header", bytes: () => Buffer.concat([good().subarray(0, 12), Buffer.from([0xff, 0xfe, 0x01, 0x99, 0x00])]) },
    { what: "question cut short", bytes: () => good().subarray(0, 20) },
    { what: "trailing bytes after the message", bytes: () => Buffer.concat([good(), Buffer.from([1, 2, 3])]) },
    {
      what: "two questions",
      bytes: () =>
        encode({
          type: "query",
          id: 0x1234,
          questions: [
            { name: "www.example.test", type: "A" },
            { name: "example.test", type: "NS" },
          ],
        }),
    },
    { what: "no question", bytes: () => encode({ type: "query", id: 0x1234, questions: [] }) },
    {
      what: "a compression pointer in the question",
      bytes: () => Buffer.concat([good().subarray(0, 12), Buffer.from([0xc0, 0x00, 0x00, 0x01, 0x00, 0x01])]),
    },
  ];
  for (const c of formerr) {
    test(`${c.what}: FORMERR with the id`, () => {
      const p = decode(Buffer.from(answerBytes(c.bytes())));
      expect([rcodeOf(p), p.id, p.flag_aa, p.questions?.length, p.answers?.length]).toEqual([1, 0x1234, false, 0, 0]);
    });
  }

  test("servfail: SERVFAIL from the header alone, null without one", () => {
    const r = servfail(good());
    expect(r?.rcode).toBe("SERVFAIL");
    const p = decode(Buffer.from(r?.bytes ?? []));
    expect([rcodeOf(p), p.id]).toEqual([2, 0x1234]);
    expect(servfail(new Uint8Array(5))).toBeNull();
  });

  test("reply tells the rcode name", () => {
    expect(reply(query({ name: "nope.example.test" }), fixtureZone(), UDP)?.rcode).toBe("NXDOMAIN");
    expect(reply(query({ name: "www.example.test", edns: { version: 2 } }), fixtureZone(), UDP)?.rcode).toBe("BADVERS");
  });
});

describe("buildZone: which servers the served area gets", () => {
  const site = fixtureSite();
  const www = (serversByArea: Map<AreaName, ServerName[]>, s = site) =>
    data(ask({ name: "www.example.test" }, fixtureZone({ site: s, serversByArea })).answers);

  test("the assigned servers, in order", () => {
    expect(www(new Map([[EAST, [serverName("west-2"), serverName("north-1")]]]))).toEqual(["10.0.2.2", "10.0.3.1"]);
  });

  test("no entry, an empty one or only unknown servers: the home servers", () => {
    expect(www(new Map())).toEqual(EAST_V4);
    expect(www(new Map([[EAST, []]]))).toEqual(EAST_V4);
    expect(www(new Map([[EAST, [serverName("ghost")]]]))).toEqual(EAST_V4);
  });

  test("no home servers either: every server", () => {
    const homeless = fixtureSite({ servers: site.servers.filter((s) => s.area !== EAST) });
    expect(www(new Map(), homeless)).toEqual(["10.0.2.1", "10.0.2.2", "10.0.3.1", "10.0.3.2"]);
  });

  test("an unknown served area or a bad address is refused at build time", () => {
    expect(() => fixtureZone({ servedArea: areaName("south") })).toThrow();
    expect(() => fixtureZone({ site: fixtureSite({ servers: [server("x", EAST, "not-an-ip")] }) })).toThrow();
  });
});
