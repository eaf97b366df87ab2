// The DNS keys of [site] and [nameserver]: accepted values and every rejection's key and text.

import { describe, expect, test } from "bun:test";
import { parse } from "smol-toml";
import { formatConfigError } from "../../../src/core/fields.ts";
import { validate } from "../../../src/config/validate.ts";
import { parseAllowed } from "../../../src/dns/config.ts";

const config = (site: string, nameserver = "") => `
[node]
name = "east"
state_dir = "state"
listen = ["/ip4/0.0.0.0/tcp/7946"]

[nameserver]
area = "east"
listen = ["0.0.0.0:53"]
${nameserver}

[site]
zone = "example.com"
names = ["www"]
secret_file = "site.secret"
${site}

[site.areas.east]
nameserver_addresses = ["198.51.100.53"]

[site.servers.web-east-1]
area = "east"
addresses = ["198.51.100.10"]
`;

const run = (site: string, nameserver?: string) => validate(parse(config(site, nameserver)) as Record<string, unknown>, "node.toml", "/etc/walrus");

describe("DNS keys accepted", () => {
  test('wildcards (RFC 4592): "*.shop" is under shop.<zone> in names and records alike', () => {
    const text = config(
      'records = [{ name = "*.mail", type = "MX", data = "10 mx" }, { name = "*.lists.example.com", type = "A", data = "198.51.100.25" }]',
    ).replace('names = ["www"]', 'names = ["www", "*.w", "*"]');
    const r = validate(parse(text) as Record<string, unknown>, "node.toml", "/etc/walrus");
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.config.site.names).toEqual(["www.example.com", "*.w.example.com", "*.example.com"]);
    expect(r.config.site.records?.map((x) => x.name)).toEqual(["*.mail.example.com", "*.lists.example.com"]);
  });

  test("answer scheme, cap and static records, names qualified", () => {
    const r = run(`answer_scheme = "cname"
max_answer_addresses = 20
records = [
  { name = "@", type = "MX", data = "10 mail" },
  { name = "mail", type = "A", data = "192.0.2.25", ttl_seconds = 600 },
  { name = "_sip._udp.example.com", type = "SRV", data = "0 5 5060 mail.example.com." },
  { name = "blog", type = "CNAME", data = "blog.example.net." },
  { name = "example.com", type = "TXT", data = "v=spf1 -all" },
]`);
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.config.site.answerScheme).toBe("cname");
    expect(r.config.site.maxAnswerAddresses).toBe(20);
    expect(r.config.site.records?.map((x) => [x.name, x.type, x.ttlSeconds])).toEqual([
      ["example.com", "MX", 20],
      ["mail.example.com", "A", 600],
      ["_sip._udp.example.com", "SRV", 20],
      ["blog.example.com", "CNAME", 20],
      ["example.com", "TXT", 20],
    ]);
  });

  test("nameserver limits", () => {
    const r = run(
      "",
      'udp_size = 1400\ntransfer_allow = ["192.0.2.0/24", "2001:db8::1"]\nrate_limit = 50\nworkers = 2\nudp_io = "portable"\ntcp_max_connections = 10\ntcp_idle_ms = 2000',
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.config.nameserver).toMatchObject({
      udpSize: 1400,
      transferAllow: [parseAllowed("192.0.2.0/24"), parseAllowed("2001:db8::1")],
      rateLimit: 50,
      workers: 2,
      udpIo: "portable",
      tcpMaxConnections: 10,
      tcpIdleMs: 2000,
    });
  });

  test("a site without the keys keeps exactly its old form (and digest)", () => {
    const r = run("");
    if (!r.ok) throw new Error("rejected");
    expect(["answerScheme", "maxAnswerAddresses", "records"].filter((k) => k in r.config.site)).toEqual([]);
  });
});

describe("DNS keys rejected", () => {
  // [what, site lines, nameserver lines, key path, fragment of the expected text]
  const rows: [string, string, string, string, string][] = [
    ["unknown scheme", 'answer_scheme = "alias"', "", "site.answer_scheme", '"addresses"'],
    ["cap of 0", "max_answer_addresses = 0", "", "site.max_answer_addresses", "from 1 to 1000"],
    ["records not an array", 'records = "x"', "", "site.records", "[[site.records]]"],
    ["unknown type", 'records = [{ name = "x", type = "HINFO", data = "a b" }]', "", "site.records[0].type", "one of A, AAAA, CNAME, MX, TXT, SRV"],
    ["A with a v6 address", 'records = [{ name = "x", type = "A", data = "2001:db8::1" }]', "", "site.records[0].data", "an IPv4 address"],
    ["MX without preference", 'records = [{ name = "@", type = "MX", data = "mail" }]', "", "site.records[0].data", "a preference and a host"],
    [
      "outside the zone",
      'records = [{ name = "mail.example.net", type = "A", data = "192.0.2.1" }]',
      "",
      "site.records[0].name",
      "inside the zone example.com",
    ],
    ["at a balanced name", 'records = [{ name = "www", type = "TXT", data = "x" }]', "", "site.records[0].name", "other than the balanced names"],
    [
      "CNAME beside other data",
      'records = [{ name = "x", type = "CNAME", data = "y" }, { name = "x", type = "TXT", data = "t" }]',
      "",
      "site.records",
      "a CNAME alone",
    ],
    ["CNAME at the apex", 'records = [{ name = "@", type = "CNAME", data = "y" }]', "", "site.records", "never at the zone apex"],
    ["unknown key in a record", 'records = [{ name = "x", type = "A", data = "192.0.2.1", ttl = 5 }]', "", "site.records[0].ttl", "(unknown key)"],
    ["udp_size below 512", "", "udp_size = 100", "nameserver.udp_size", "from 512 to 4096"],
    ["transfer_allow not a prefix", "", 'transfer_allow = ["10.0.0.0/33"]', "nameserver.transfer_allow[0]", "an address or prefix"],
    ["workers -1", "", "workers = -1", "nameserver.workers", "from 0 to 64"],
    ["udp_io unknown", "", 'udp_io = "fast"', "nameserver.udp_io", '"auto", "batched"'],
    ["negative rate limit", "", "rate_limit = -1", "nameserver.rate_limit", "0: off"],
  ];
  for (const [what, site, ns, key, fragment] of rows) {
    test(what, () => {
      const r = run(site, ns);
      if (r.ok) throw new Error("accepted");
      const e = r.errors.find((x) => x.key === key);
      expect(e ? formatConfigError(e) : r.errors.map(formatConfigError).join("\n")).toContain(fragment);
      expect(e?.file).toBe("node.toml");
    });
  }
});
