// Wildcards (RFC 4592 §2.2.1, §3.3.1): synthesis only for names the zone does not hold, the
// closest encloser, NODATA for a missing type, and balanced wildcards answered per area.
import { describe, expect, test } from "bun:test";
import { decode, encode, type Answer, type RecordType } from "dns-packet";
import { reply, type AnswerContext } from "../../../src/dns/answer.ts";
import { EAST, EAST_V4, fixtureSite, fixtureZone, WEST } from "./site-fixture.ts";

const UDP: AnswerContext = { transport: "udp", rotation: 0 };
const records = [
  { name: "*.shop.example.test", type: "A", ttlSeconds: 60, data: "192.0.2.80" },
  { name: "*.shop.example.test", type: "MX", ttlSeconds: 60, data: "10 mx.example.test" },
  { name: "b.shop.example.test", type: "TXT", ttlSeconds: 60, data: '"real"' },
];
const zone = fixtureZone({ site: fixtureSite({ names: ["www.example.test", "*.w.example.test"], records }) });

function ask(name: string, type: RecordType = "A", ctx: AnswerContext = UDP) {
  const r = reply(encode({ type: "query", id: 5, questions: [{ name, type }] }), zone, ctx);
  if (!r) throw new Error("dropped");
  const p = decode(Buffer.from(r.bytes));
  const data = (p.answers ?? []).map((a: Answer) => {
    const d = (a as { data?: unknown }).data;
    return `${a.name} ${a.type} ${typeof d === "object" ? JSON.stringify(d) : String(d)}`;
  });
  return { rcode: r.rcode, data, authority: (p.authorities ?? []).map((a) => a.type) };
}

describe("wildcards (RFC 4592)", () => {
  test.each([
    [
      "a name under the wildcard's parent gets its records, owned by the name asked",
      "a.shop.example.test",
      "A",
      "NOERROR",
      ["a.shop.example.test A 192.0.2.80"],
      [],
    ],
    ["deeper names too, while their closest encloser is shop", "x.y.shop.example.test", "A", "NOERROR", ["x.y.shop.example.test A 192.0.2.80"], []],
    ["a type the wildcard lacks: NODATA with the SOA", "a.shop.example.test", "AAAA", "NOERROR", [], ["SOA"]],
    ["the wildcard's parent is an empty non-terminal: NODATA, never synthesised", "shop.example.test", "A", "NOERROR", [], ["SOA"]],
    ["a name that exists is not synthesised, even without the type", "b.shop.example.test", "A", "NOERROR", [], ["SOA"]],
    ["below an existing name the closest encloser is that name, with no wildcard: NXDOMAIN", "c.b.shop.example.test", "A", "NXDOMAIN", [], ["SOA"]],
    ["elsewhere in the zone: NXDOMAIN", "a.mail.example.test", "A", "NXDOMAIN", [], ["SOA"]],
    ["the wildcard asked literally answers as itself", "*.shop.example.test", "A", "NOERROR", ["*.shop.example.test A 192.0.2.80"], []],
  ] as [string, string, RecordType, string, string[], string[]][])("%s", (_what, name, type, rcode, data, authority) => {
    expect(ask(name, type) as { rcode: string; data: string[]; authority: string[] }).toEqual({ rcode, data, authority });
  });

  test("names inside the data of a synthesised record are compressed and decode back", () => {
    expect(ask("q.shop.example.test", "MX").data).toEqual(['q.shop.example.test MX {"preference":10,"exchange":"mx.example.test"}']);
  });

  test("a balanced wildcard answers each area with its own cluster, owned by the name asked", () => {
    const east = ask("anything.w.example.test", "A", { ...UDP, chooseArea: () => ({ area: EAST }) });
    const west = ask("anything.w.example.test", "A", { ...UDP, chooseArea: () => ({ area: WEST }) });
    expect(east.data.map((d) => d.split(" ")[2]).sort()).toEqual(EAST_V4);
    expect(west.data.map((d) => d.split(" ")[2]).sort()).toEqual(["10.0.2.1", "10.0.2.2"]);
    expect(west.data[0]?.split(" ")[0]).toBe("anything.w.example.test");
  });

  test("a balanced wildcard's answer carries the steered ECS options, not the unsteered ones", () => {
    const steered = [{ code: 8, data: new Uint8Array([0, 1, 24, 24, 192, 0, 2]) }];
    const unsteered = [{ code: 8, data: new Uint8Array([0, 1, 24, 0, 192, 0, 2]) }];
    const q = encode({
      type: "query",
      id: 6,
      questions: [{ name: "x.w.example.test", type: "A" }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0, options: [] } as never],
    });
    const r = reply(q, zone, { ...UDP, chooseArea: () => ({ area: WEST, options: steered, unsteeredOptions: unsteered }) });
    const opt = decode(Buffer.from(r?.bytes ?? [])).additionals?.find((a) => a.type === "OPT") as { options?: { data: Buffer }[] } | undefined;
    expect([...(opt?.options?.[0]?.data ?? [])]).toEqual([...steered[0]!.data]);
    const nx = reply(
      encode({
        type: "query",
        id: 7,
        questions: [{ name: "x.nope.example.test", type: "A" }],
        additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0, options: [] } as never],
      }),
      zone,
      { ...UDP, chooseArea: () => ({ area: WEST, options: steered, unsteeredOptions: unsteered }) },
    );
    const nxOpt = decode(Buffer.from(nx?.bytes ?? [])).additionals?.find((a) => a.type === "OPT") as { options?: { data: Buffer }[] } | undefined;
    expect([...(nxOpt?.options?.[0]?.data ?? [])]).toEqual([...unsteered[0]!.data]);
  });
});
