import { describe, expect, test } from "bun:test";
import { authority, withPresented, withRevocations } from "../../../src/authority/authority.ts";
import { signGrant } from "../../../src/authority/grant.ts";
import { newOperatorKey, operatorSigner } from "../../../src/authority/operator-key.ts";
import { signRevocation } from "../../../src/authority/revocation.ts";
import { registeredKey, registrationRefusal, withRegistered } from "../../../src/authority/self-registration.ts";
import { areaName, peerIdText, serverName, type PeerIdText, type Registration, type Site } from "../../../src/core/types.ts";

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const op = operatorSigner(newOperatorKey().privateKeyPem);
const NEW = peerIdText("12D3KooWNew");
const TWIN = peerIdText("12D3KooWAnother");
const ROGUE = peerIdText("12D3KooWRogue");

const reporterGrant = (peer: PeerIdText, server: string, id = `g-${server}-${peer}`) =>
  signGrant({ id, peer, node: server, roles: { reporter: { servers: [serverName(server)] } }, issuedAtMs: NOW - DAY, expiresAtMs: NOW + DAY }, op);
const granted = () => {
  let a = authority([op.publicKey]);
  a = withPresented(a, NEW, [reporterGrant(NEW, "web-east-3")], NOW).authority;
  return withPresented(a, TWIN, [reporterGrant(TWIN, "web-east-3")], NOW).authority;
};
const site = (selfRegister: boolean): Site =>
  ({
    zone: "example.test",
    areas: [
      { name: areaName("east"), nameserverHost: "ns-east.example.test", nameserverAddresses: ["192.0.2.53"], ...(selfRegister && { selfRegister: true }) },
      { name: areaName("west"), nameserverHost: "ns-west.example.test", nameserverAddresses: ["192.0.2.54"] },
    ],
    servers: [
      { name: serverName("web-east-1"), area: areaName("east"), addresses: ["192.0.2.1"] },
      { name: serverName("web-west-1"), area: areaName("west"), addresses: ["192.0.2.2"] },
    ],
  }) as Site;
const reg = (over: Partial<Registration> = {}): Registration => ({
  server: serverName("web-east-3"),
  area: areaName("east"),
  addresses: ["192.0.2.3"],
  ...over,
});

describe("a server registering itself", () => {
  const table: [string, PeerIdText, Registration, boolean, string | undefined][] = [
    ["its granted server, in an area that allows it", NEW, reg(), true, undefined],
    ["IPv4 and IPv6 addresses", NEW, reg({ addresses: ["192.0.2.3", "2001:db8::3"] }), true, undefined],
    ["in an area that does not allow it", NEW, reg(), false, "register-not-allowed"],
    ["in another area than allowed", NEW, reg({ area: areaName("west") }), true, "register-not-allowed"],
    ["in an area the site does not have", NEW, reg({ area: areaName("south") }), true, "register-unknown-area"],
    ["a server the document lists (the document wins)", NEW, reg({ server: serverName("web-east-1") }), true, "register-server-listed"],
    ["by a member without a grant for it", ROGUE, reg(), true, "register-not-granted"],
    ["another server than granted", NEW, reg({ server: serverName("web-east-4") }), true, "register-not-granted"],
    ["no address", NEW, reg({ addresses: [] }), true, "register-bad-address"],
    ["an address that is not one", NEW, reg({ addresses: ["192.0.2.300"] }), true, "register-bad-address"],
    ["a host name for an address", NEW, reg({ addresses: ["web.example.test"] }), true, "register-bad-address"],
    ["too many addresses", NEW, reg({ addresses: Array.from({ length: 17 }, (_, i) => `192.0.2.${i + 10}`) }), true, "register-bad-address"],
  ];
  test.each(table)("%s", (_what, from, r, allow, expected) => expect(registrationRefusal(r, from, granted(), site(allow), NOW)).toBe(expected));

  test("a granted name that is not a server name is refused", () => {
    const a = withPresented(authority([op.publicKey]), NEW, [reporterGrant(NEW, "Web_3")], NOW).authority;
    expect(registrationRefusal(reg({ server: serverName("Web_3") }), NEW, a, site(true), NOW)).toBe("register-bad-name");
  });

  test("an open site (no operator key) takes no registration", () => {
    expect(registrationRefusal(reg(), NEW, authority([]), site(true), NOW)).toBe("register-needs-grants");
  });
});

describe("the site with the servers that registered themselves", () => {
  test("a registration that holds joins its area's cluster after the document's servers; none: the same site object", () => {
    const s = site(true);
    const r = withRegistered(s, new Map([[NEW, reg()]]), granted(), NOW);
    expect(r.site.servers.map((x) => `${x.name}@${x.area}`)).toEqual(["web-east-1@east", "web-west-1@west", "web-east-3@east"]);
    expect([...r.registered]).toEqual([serverName("web-east-3")]);
    expect(registeredKey(r)).toBe("web-east-3@east=192.0.2.3");
    const none = withRegistered(s, new Map([[ROGUE, reg()]]), granted(), NOW);
    expect(none.site).toBe(s);
    expect(none.registered.size).toBe(0);
  });

  test("it leaves when its grant expires or is revoked, or when the document stops allowing it or lists the server", () => {
    const regs = new Map([[NEW, reg()]]);
    expect(withRegistered(site(true), regs, granted(), NOW + 2 * DAY).registered.size).toBe(0);
    const revoked = withRevocations(granted(), [signRevocation({ grant: `g-web-east-3-${NEW}`, reason: "test", atMs: NOW }, op)]).authority;
    expect(withRegistered(site(true), regs, revoked, NOW).registered.size).toBe(0);
    expect(withRegistered(site(false), regs, granted(), NOW).registered.size).toBe(0);
    const listed = site(true);
    listed.servers.push({ name: serverName("web-east-3"), area: areaName("east"), addresses: ["192.0.2.99"] });
    const r = withRegistered(listed, regs, granted(), NOW);
    expect(r.registered.size).toBe(0);
    expect(r.site.servers.find((x) => x.name === "web-east-3")?.addresses).toEqual(["192.0.2.99"]);
  });

  test("one server announced by two granted peers: every node takes the lowest peer id's", () => {
    const regs = new Map([
      [NEW, reg({ addresses: ["192.0.2.3"] })],
      [TWIN, reg({ addresses: ["192.0.2.4"] })],
    ]);
    const r = withRegistered(site(true), regs, granted(), NOW);
    expect(r.site.servers.filter((x) => x.name === "web-east-3").map((x) => x.addresses.join())).toEqual(["192.0.2.4"]); // "…Another" < "…New"
    const reversed = withRegistered(site(true), new Map([...regs].reverse()), granted(), NOW);
    expect(registeredKey(reversed)).toBe(registeredKey(r));
  });
});
