// Real recursive resolvers (Debian's unbound and BIND) resolving a walrus zone delegated from a
// Knot parent, in network namespaces: one host each for the client, the two resolvers, the
// parent and three walrus area nameservers (`dist/walrus node` with [nameserver] only). Every
// cluster's answer exceeds the 1232-byte EDNS size, so a full answer proves the resolver
// retried over TCP after truncation.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProc, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { namedOptions } from "../../scripts/lib/named-conf.ts";
import { unboundServerLines } from "../../scripts/lib/unbound-conf.ts";
import { parseDig } from "../../scripts/lib/dns-query.ts";
import { createLab, type Lab } from "../../scripts/lib/netns.ts";
import { needs } from "./needs.ts";

const READY = needs("dns-resolvers", { root: true, tools: ["unbound", "named", "knotd", "dig", "ip"], files: [WALRUS] });

const AREAS = ["east", "west", "north"] as const;
/** Servers per cluster: 90 A records (≈ 1.5 kB) do not fit in a 1232-byte datagram. */
const PER_AREA = 90;
const clusterOf = (i: number) => Array.from({ length: PER_AREA }, (_, k) => `10.99.${i}.${k + 1}`);

describe.skipIf(!READY)("real resolvers", () => {
  let lab: Lab;
  let dir: string;
  const procs: Proc[] = [];
  const inLab = (host: string, cmd: string[]) => ["ip", "netns", "exec", lab.ns(host), ...cmd];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wdns-resolvers-"));
    lab = await createLab({ prefix: "wdnsr", subnet: "10.201.4", hosts: ["client", "unbound", "bind", "parent", ...AREAS.map((a) => `ns-${a}`)] });
    const addr = (h: string) => lab.address(h);

    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    const site = [
      "[site]",
      'zone = "demo.test"',
      'names = ["www"]',
      "ttl_seconds = 5",
      "max_answer_addresses = 100",
      'records = [{ name = "@", type = "MX", data = "10 mail" }, { name = "mail", type = "A", data = "192.0.2.25" }, { name = "blog", type = "CNAME", data = "mail" }]',
      `secret_file = "${join(dir, "site.secret")}"`,
      ...AREAS.flatMap((a) => [`[site.areas.${a}]`, `nameserver = "ns-${a}"`, `nameserver_addresses = ["${addr(`ns-${a}`)}"]`]),
      ...AREAS.flatMap((a, i) => clusterOf(i).flatMap((ip, k) => [`[site.servers.web-${a}-${k}]`, `area = "${a}"`, `addresses = ["${ip}"]`])),
    ].join("\n");
    for (const a of AREAS) {
      const host = `ns-${a}`;
      const config = join(dir, `${a}.toml`);
      const node = ["[node]", `name = "${a}"`, `state_dir = "${join(dir, a)}"`, `listen = ["/ip4/${addr(host)}/tcp/49290"]`];
      writeFileSync(config, [...node, "[nameserver]", `area = "${a}"`, `listen = ["${addr(host)}:53"]`, site].join("\n"));
      procs.push(startProc(host, inLab(host, [WALRUS, "node", "--config", config])));
    }

    const zoneFile = join(dir, "test.zone");
    writeFileSync(
      zoneFile,
      [
        "$ORIGIN test.",
        "$TTL 60",
        "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60",
        "@ NS ns",
        `ns A ${addr("parent")}`,
        ...AREAS.flatMap((a) => [`demo NS ns-${a}.demo`, `ns-${a}.demo A ${addr(`ns-${a}`)}`]),
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "knot.conf"),
      [
        "server:",
        `  listen: ${addr("parent")}@53`,
        `  rundir: ${dir}`,
        "log:",
        "  - target: stderr",
        "    any: info",
        "database:",
        `  storage: ${join(dir, "knot-db")}`,
        "zone:",
        "  - domain: test",
        `    file: ${zoneFile}`,
        `    storage: ${dir}`,
        "",
      ].join("\n"),
    );
    procs.push(startProc("knot", inLab("parent", ["knotd", "-c", join(dir, "knot.conf")])));

    writeFileSync(
      join(dir, "unbound.conf"),
      [
        ...unboundServerLines({ dir, listen: addr("unbound"), allow: "10.201.4.0/24" }),
        '  module-config: "iterator"',
        '  local-zone: "test." nodefault',
        "stub-zone:",
        '  name: "test."',
        `  stub-addr: ${addr("parent")}`,
        "remote-control:",
        "  control-enable: yes",
        `  control-interface: "${join(dir, "unbound.ctl")}"`,
        "  control-use-cert: no",
        "",
      ].join("\n"),
    );
    procs.push(startProc("unbound", inLab("unbound", ["unbound", "-d", "-c", join(dir, "unbound.conf")])));

    writeFileSync(
      join(dir, "named.conf"),
      `${namedOptions({ dir, listen: addr("bind") })}logging {
  channel lame { file "${join(dir, "named-lame.log")}"; severity debug; print-category yes; };
  category lame-servers { lame; };
  category edns-disabled { lame; };
  channel main { file "${join(dir, "named.log")}"; severity info; print-category yes; };
  category default { main; };
};
zone "test" { type static-stub; server-addresses { ${addr("parent")}; }; };
`,
    );
    procs.push(startProc("named", inLab("bind", ["named", "-f", "-4", "-c", join(dir, "named.conf")])));

    await Promise.all(procs.filter((p) => p.name.startsWith("ns-")).map((p) => p.waitFor(/answering DNS/)));
    await Promise.all(["unbound", "bind"].map((r) => untilAnswered(r)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function dig(resolver: string, ...args: string[]) {
    return parseDig((await lab.run("client", ["dig", `@${lab.address(resolver)}`, "+time=3", "+tries=1", ...args])).stdout);
  }

  /** Waits until the resolver is up and the parent serves the delegation: a bounded poll. */
  async function untilAnswered(resolver: string) {
    for (let i = 0; i < 40; i++) {
      if ((await dig(resolver, "ns-east.demo.test", "A")).status === "NOERROR") return;
      await Bun.sleep(250);
    }
    throw new Error(`${resolver} never resolved ns-east.demo.test; logs:\n${procs.map((p) => `${p.name}: ${p.output().slice(-800)}`).join("\n")}`);
  }

  const clusters = AREAS.map((_, i) => clusterOf(i).sort().join(" "));

  for (const resolver of ["unbound", "bind"]) {
    test(`${resolver}: the whole cluster of one area, fetched over TCP after truncation`, async () => {
      const r = await dig(resolver, "www.demo.test", "A", "+tcp");
      expect(r.status).toBe("NOERROR");
      const a = r.answers.filter((x) => x[3] === "A").map((x) => x[4] ?? "");
      expect(a.length).toBe(PER_AREA);
      expect(clusters).toContain(a.sort().join(" "));
    });

    test(`${resolver}: static records, and an in-zone CNAME followed`, async () => {
      const mx = await dig(resolver, "demo.test", "MX");
      expect(mx.answers.filter((x) => x[3] === "MX").map((x) => x.slice(4).join(" "))).toEqual(["10 mail.demo.test."]);
      const blog = await dig(resolver, "blog.demo.test", "A");
      expect(blog.answers.map((x) => [x[0], x[3], x[4]])).toEqual([
        ["blog.demo.test.", "CNAME", "mail.demo.test."],
        ["mail.demo.test.", "A", "192.0.2.25"],
      ]);
    });

    test(`${resolver}: NXDOMAIN, NODATA and the nameservers' addresses`, async () => {
      for (let i = 0; i < 20; i++) expect((await dig(resolver, `nx-${i}.demo.test`, "A")).status).toBe("NXDOMAIN");
      const nodata = await dig(resolver, "www.demo.test", "MX");
      expect(nodata.status).toBe("NOERROR");
      expect(nodata.answers.filter((x) => x[3] === "MX")).toEqual([]);
      const ns = await dig(resolver, "demo.test", "NS");
      expect(
        ns.answers
          .filter((x) => x[3] === "NS")
          .map((x) => x[4])
          .sort(),
      ).toEqual(AREAS.map((a) => `ns-${a}.demo.test.`).sort());
    });
  }

  test("each nameserver warned at start that its cluster's answer exceeds one datagram", () => {
    for (const a of AREAS)
      expect(procs.find((p) => p.name === `ns-${a}`)?.output()).toMatch(
        new RegExp(`does not fit one UDP datagram.*"cluster":"${a}","type":"A","addresses":${PER_AREA}`),
      );
  });

  test("unbound marks no walrus nameserver lame", async () => {
    const r = await lab.run("unbound", ["unbound-control", "-c", join(dir, "unbound.conf"), "dump_infra"]);
    expect(r.code).toBe(0);
    const ours = r.stdout.split("\n").filter((l) => AREAS.some((a) => l.startsWith(`${lab.address(`ns-${a}`)} demo.test.`)));
    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours) expect(line).toContain("lame dnssec 0 rec 0 A 0 other 0");
    expect(readFileSync(join(dir, "unbound.log"), "utf8")).not.toMatch(/lame/i);
  });

  test("BIND logs no lame server or EDNS complaint", () => {
    const lame = (() => {
      try {
        return readFileSync(join(dir, "named-lame.log"), "utf8");
      } catch {
        return "";
      }
    })();
    expect(lame).not.toContain("demo.test");
  });
});
