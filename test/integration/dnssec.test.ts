// DNSSEC end to end (issue 21), in network namespaces: a parent zone `test.` served and signed by
// Knot (dnssec-signing: on) holds the DS that `walrus dnssec ds` prints for demo.test, served by
// two walrus area nameservers; Unbound and BIND validate from the parent's key alone. Balanced
// names (a wildcard among them), static records, NXDOMAIN and NODATA come back with AD; delv
// validates each area's own answer at its nameserver; a signed answer too big for UDP is truncated
// and fetched over TCP. A second zone, evil.test, is served through a relay that can break its
// signatures, so validation is shown to fail: a changed bit or an expired signature is SERVFAIL.
// Last, a CSK rollover run with the walrus commands while both resolvers are asked every 100 ms.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, ROOT, startProc, until, walrus, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { namedOptions } from "../../scripts/lib/named-conf.ts";
import { unboundServerLines } from "../../scripts/lib/unbound-conf.ts";
import { parseDig } from "../../scripts/lib/dns-query.ts";
import { createLab, type Lab } from "../../scripts/lib/netns.ts";
import { needs } from "./needs.ts";

const READY = needs("dnssec", { root: true, tools: ["unbound", "named", "knotd", "knotc", "dig", "kdig", "delv", "ip"], files: [WALRUS] });

const AREAS = ["east", "west"] as const;
/** East's 70 addresses fit 1232 bytes unsigned but not with their RRSIG: DO over UDP is truncated. */
const CLUSTER = { east: 70, west: 2 };
const addressesOf = (i: number, n: number) => Array.from({ length: n }, (_, k) => `10.98.${i}.${k + 1}`);
const RESOLVERS = ["unbound", "bind"] as const;

describe.skipIf(!READY)("DNSSEC with validating resolvers", () => {
  let lab: Lab;
  let dir: string;
  let parentAnchor = "";
  let parentSerial = 1;
  const procs: Proc[] = [];
  const inLab = (host: string, cmd: string[]) => ["ip", "netns", "exec", lab.ns(host), ...cmd];
  const addr = (h: string) => lab.address(h);
  const config = (name: string) => join(dir, `${name}.toml`);

  async function dsOf(name: string): Promise<string[]> {
    const r = await walrus(["dnssec", "ds", "--config", config(name)]);
    if (r.code !== 0) throw new Error(`walrus dnssec ds: ${r.stderr}`);
    return r.stdout.trim().split("\n");
  }

  /** The parent zone with these DS lines (2-second TTL, so a DS swap is seen quickly), loaded again by Knot. */
  async function writeParent(ds: string[], reload: boolean) {
    writeFileSync(
      join(dir, "test.zone"),
      [
        "$ORIGIN test.",
        "$TTL 60",
        `@ SOA ns.test. hostmaster.test. ${parentSerial++} 3600 600 86400 2`,
        "@ NS ns",
        `ns A ${addr("parent")}`,
        ...AREAS.flatMap((a) => [`demo NS ns-${a}.demo`, `ns-${a}.demo A ${addr(`ns-${a}`)}`]),
        "evil NS ns.evil",
        `ns.evil A ${addr("evil")}`,
        ...ds.map((l) => l.replace(/^(\S+) IN DS/, "$1 2 IN DS")),
        "",
      ].join("\n"),
    );
    if (reload) {
      const r = await lab.run("parent", ["knotc", "-s", join(dir, "knot.sock"), "zone-reload", "test"]);
      if (r.code !== 0) throw new Error(`knotc zone-reload: ${r.stdout}${r.stderr}`);
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wdnssec-"));
    lab = await createLab({ prefix: "wsec", subnet: "10.221.3", hosts: ["client", "unbound", "bind", "parent", "ns-east", "ns-west", "evil"] });
    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    const site = [
      "[site]",
      'zone = "demo.test"',
      'names = ["www", "*.shop"]',
      "ttl_seconds = 2",
      "max_answer_addresses = 100",
      'records = [{ name = "@", type = "MX", data = "10 mail" }, { name = "mail", type = "A", data = "192.0.2.25" }, { name = "mail", type = "TXT", data = "v=spf1 -all" }]',
      `secret_file = "${join(dir, "site.secret")}"`,
      `dnssec_keys = "${join(dir, "demo-keys")}"`,
      ...AREAS.flatMap((a) => [`[site.areas.${a}]`, `nameserver = "ns-${a}"`, `nameserver_addresses = ["${addr(`ns-${a}`)}"]`]),
      ...AREAS.flatMap((a, i) => addressesOf(i, CLUSTER[a]).flatMap((ip, k) => [`[site.servers.web-${a}-${k}]`, `area = "${a}"`, `addresses = ["${ip}"]`])),
    ].join("\n");
    for (const a of AREAS) {
      const node = ["[node]", `name = "${a}"`, `state_dir = "${join(dir, a)}"`, `listen = ["/ip4/${addr(`ns-${a}`)}/tcp/49290"]`];
      writeFileSync(config(a), [...node, "[nameserver]", `area = "${a}"`, `listen = ["${addr(`ns-${a}`)}:53"]`, site].join("\n"));
    }
    writeFileSync(
      config("evil"),
      [
        "[node]",
        'name = "evil"',
        `state_dir = "${join(dir, "evil")}"`,
        `listen = ["/ip4/${addr("evil")}/tcp/49290"]`,
        "[nameserver]",
        'area = "x"',
        `listen = ["${addr("evil")}:5300"]`,
        "[site]",
        'zone = "evil.test"',
        'names = ["*.w"]',
        "ttl_seconds = 2",
        `secret_file = "${join(dir, "site.secret")}"`,
        `dnssec_keys = "${join(dir, "evil-keys")}"`,
        "[site.areas.x]",
        'nameserver = "ns"',
        `nameserver_addresses = ["${addr("evil")}"]`,
        "[site.servers.web-x]",
        'area = "x"',
        'addresses = ["192.0.2.80"]',
      ].join("\n"),
    );
    for (const name of ["east", "evil"]) {
      const r = await walrus(["dnssec", "keygen", "--config", config(name)]);
      if (r.code !== 0) throw new Error(`walrus dnssec keygen: ${r.stderr}`);
    }
    for (const a of AREAS) procs.push(startProc(`ns-${a}`, inLab(`ns-${a}`, [WALRUS, "node", "--config", config(a)])));
    procs.push(startProc("evil", inLab("evil", [WALRUS, "node", "--config", config("evil")])));
    writeFileSync(join(dir, "mode"), "pass\n");
    procs.push(
      startProc(
        "relay",
        inLab("evil", [
          BUN,
          join(ROOT, "scripts/lib/dnssec-tamper.ts"),
          "--listen",
          `${addr("evil")}:53`,
          "--upstream",
          `${addr("evil")}:5300`,
          "--mode",
          join(dir, "mode"),
          "--keys",
          join(dir, "evil-keys"),
          "--zone",
          "evil.test",
        ]),
      ),
    );

    await writeParent([...(await dsOf("east")), ...(await dsOf("evil"))], false);
    writeFileSync(
      join(dir, "knot.conf"),
      [
        "server:",
        `  listen: ${addr("parent")}@53`,
        `  rundir: ${dir}`,
        "control:",
        `  listen: ${join(dir, "knot.sock")}`,
        "log:",
        "  - target: stderr",
        "    any: info",
        "database:",
        `  storage: ${join(dir, "knot-db")}`,
        "zone:",
        "  - domain: test",
        `    file: ${join(dir, "test.zone")}`,
        `    storage: ${dir}`,
        "    dnssec-signing: on",
        "",
      ].join("\n"),
    );
    mkdirSync(join(dir, "knot-db"));
    procs.push(startProc("knot", inLab("parent", ["knotd", "-c", join(dir, "knot.conf")])));
    // The parent's KSK is the resolvers' only trust anchor.
    await until(
      "Knot to serve the signed parent",
      async () => {
        const r = await lab.run("client", ["kdig", `@${addr("parent")}`, "test.", "DNSKEY", "+short", "+time=1", "+retry=0"]);
        parentAnchor = r.stdout.split("\n").find((l) => l.startsWith("257 ")) ?? "";
        return parentAnchor !== "";
      },
      20_000,
      200,
    ).catch((err) => {
      throw new Error(
        `${err}\n${procs
          .find((p) => p.name === "knot")
          ?.output()
          .slice(-2000)}`,
      );
    });

    writeFileSync(
      join(dir, "unbound.conf"),
      [
        ...unboundServerLines({ dir, listen: addr("unbound"), allow: "10.221.3.0/24" }),
        "  val-log-level: 2",
        '  module-config: "validator iterator"',
        `  trust-anchor: "test. DNSKEY ${parentAnchor}"`,
        '  local-zone: "test." nodefault',
        "stub-zone:",
        '  name: "test."',
        `  stub-addr: ${addr("parent")}`,
        "",
      ].join("\n"),
    );
    procs.push(startProc("unbound", inLab("unbound", ["unbound", "-d", "-c", join(dir, "unbound.conf")])));
    writeFileSync(
      join(dir, "named.conf"),
      `${namedOptions({ dir, listen: addr("bind"), trustAnchor: { zone: "test", dnskey: parentAnchor } })}logging {
  channel main { file "${join(dir, "named.log")}"; severity info; print-category yes; };
  category default { main; };
  category dnssec { main; };
};
zone "test" { type static-stub; server-addresses { ${addr("parent")}; }; };
`,
    );
    procs.push(startProc("named", inLab("bind", ["named", "-f", "-4", "-c", join(dir, "named.conf")])));

    await Promise.all(procs.filter((p) => p.name.startsWith("ns-") || p.name === "evil").map((p) => p.waitFor(/answering DNS/)));
    await procs.find((p) => p.name === "relay")!.waitFor(/relaying/);
    for (const r of RESOLVERS) await until(`${r} to validate www.demo.test`, async () => (await dig(r, "www.demo.test", "A")).ad, 20_000, 250);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function dig(resolver: string, ...args: string[]) {
    return parseDig((await lab.run("client", ["dig", `@${addr(resolver)}`, "+time=3", "+tries=1", "+dnssec", ...args])).stdout);
  }

  const typed = (r: { answers: string[][] }, type: string) => r.answers.filter((x) => x[3] === type);

  for (const resolver of RESOLVERS) {
    test(`${resolver}: balanced names (a wildcard among them) and static records validate (AD)`, async () => {
      for (const [name, type] of [
        ["www.demo.test", "A"],
        ["any.shop.demo.test", "A"],
        ["demo.test", "MX"],
        ["mail.demo.test", "TXT"],
        ["demo.test", "NS"],
      ]) {
        const r = await dig(resolver, name!, type!);
        expect({ name, type, status: r.status, ad: r.ad }).toEqual({ name, type, status: "NOERROR", ad: true });
        expect(typed(r, type!).length).toBeGreaterThan(0);
      }
      // East's signed answer does not fit UDP: the resolver got it whole over TCP.
      const www = typed(await dig(resolver, "www.demo.test", "A"), "A").length;
      expect([CLUSTER.east, CLUSTER.west]).toContain(www);
    });

    test(`${resolver}: NXDOMAIN and NODATA are proven by compact denial (AD, no answer)`, async () => {
      for (let i = 0; i < 5; i++) {
        const nx = await dig(resolver, `nx-${i}.demo.test`, "A");
        // RFC 9824 §3: a resolver that knows NXNAME may give NXDOMAIN back; NOERROR without data otherwise.
        expect({ status: ["NXDOMAIN", "NOERROR"].includes(nx.status), ad: nx.ad, answers: typed(nx, "A") }).toEqual({ status: true, ad: true, answers: [] });
      }
      const nodata = await dig(resolver, "www.demo.test", "MX");
      expect({ status: nodata.status, ad: nodata.ad, answers: typed(nodata, "MX") }).toEqual({ status: "NOERROR", ad: true, answers: [] });
    });
  }

  test("delv validates each area's own answer at its nameserver; kdig shows RRSIGs only with DO, TC when they do not fit", async () => {
    const key = readFileSync(
      join(
        dir,
        "demo-keys",
        (await lab.run("client", ["ls", join(dir, "demo-keys")])).stdout.split("\n").find((f) => f.endsWith(".key"))!,
      ),
      "utf8",
    );
    const dnskey = /DNSKEY (\d+ \d+ \d+) (\S+)/.exec(key)!;
    writeFileSync(join(dir, "demo-anchor.conf"), `trust-anchors { "demo.test." static-key ${dnskey[1]} "${dnskey[2]}"; };\n`);
    for (const [i, a] of AREAS.entries()) {
      const r = await lab.run("client", ["delv", "-a", join(dir, "demo-anchor.conf"), `@${addr(`ns-${a}`)}`, "+root=demo.test", "+tcp", "www.demo.test", "A"]);
      expect(r.stdout).toContain("; fully validated");
      const got = r.stdout
        .split("\n")
        .filter((l) => /\sIN\s+A\s/.test(l))
        .map((l) => l.split(/\s+/).at(-1));
      expect(got.sort()).toEqual(addressesOf(i, CLUSTER[a]).sort());
    }
    const kdig = async (...args: string[]) => (await lab.run("client", ["kdig", `@${addr("ns-west")}`, "+time=2", "+retry=0", ...args])).stdout;
    expect(await kdig("www.demo.test", "A")).not.toContain("RRSIG");
    expect(await kdig("+dnssec", "www.demo.test", "A")).toContain("RRSIG\tA 13 3 2");
    const east = async (...args: string[]) =>
      (await lab.run("client", ["kdig", `@${addr("ns-east")}`, "+time=2", "+retry=0", "+ignore", "+bufsize=1232", ...args])).stdout;
    expect(await east("www.demo.test", "A")).not.toMatch(/Flags: [^;]*\btc\b/);
    expect(await east("+dnssec", "www.demo.test", "A")).toMatch(/Flags: [^;]*\btc\b/);
    expect(await east("+dnssec", "+tcp", "www.demo.test", "A")).toContain("RRSIG\tA 13 3 2");
  });

  test("a changed bit in a signature, or an expired signature, makes both resolvers answer SERVFAIL", async () => {
    for (const resolver of RESOLVERS) expect(await dig(resolver, `ok-${resolver}.w.evil.test`, "A")).toMatchObject({ status: "NOERROR", ad: true });
    for (const mode of ["flip", "expire"]) {
      writeFileSync(join(dir, "mode"), `${mode}\n`);
      for (const resolver of RESOLVERS)
        expect({ mode, status: (await dig(resolver, `${mode}-${resolver}.w.evil.test`, "A")).status }).toEqual({ mode, status: "SERVFAIL" });
    }
    writeFileSync(join(dir, "mode"), "pass\n");
  });

  test("a CSK rollover run with the walrus commands, both resolvers asked every 100 ms: no validation failure", async () => {
    const failures: string[] = [];
    let asked = 0;
    let running = true;
    const asking = (async () => {
      while (running) {
        const started = performance.now();
        const replies = await Promise.all(RESOLVERS.map((r) => dig(r, "www.demo.test", "A")));
        for (const [i, r] of replies.entries()) {
          asked++;
          if (r.status !== "NOERROR" || !r.ad) failures.push(`${new Date().toISOString()} ${RESOLVERS[i]}: ${r.status}, ad ${r.ad}`);
        }
        await Bun.sleep(Math.max(0, 100 - (performance.now() - started)));
      }
    })();
    const cli = (...args: string[]) => walrus(["dnssec", ...args, "--config", config("east")]);
    const dnskeys = async (a: string) =>
      (await lab.run("client", ["kdig", `@${addr(`ns-${a}`)}`, "demo.test", "DNSKEY", "+short", "+time=1", "+retry=0"])).stdout
        .trim()
        .split("\n")
        .filter(Boolean).length;
    const oldTag = /DS (\d+) /.exec((await dsOf("east"))[0]!)![1]!;

    // 1. Publish the successor; both nameservers pick it up from the key directory.
    const made = await cli("keygen", "--next");
    const newTag = /key (\d+)/.exec(made.stdout)![1]!;
    await until("both nameservers to publish two DNSKEYs", async () => (await Promise.all(AREAS.map(dnskeys))).every((n) => n === 2));
    // 2. Sign with it once its DNSKEY can be in every cache (RFC 7583 Ipub: the command refuses before).
    expect((await cli("activate", newTag)).code).not.toBe(0);
    await until("walrus dnssec activate to be allowed", async () => (await cli("activate", newTag)).code === 0, 30_000, 500);
    // 3. The DS swap at the parent.
    await writeParent([...(await dsOf("east")).filter((l) => l.includes(`DS ${newTag} `)), ...(await dsOf("evil"))], true);
    await until("the parent to serve the new DS", async () => {
      const r = await lab.run("client", ["kdig", `@${addr("parent")}`, "demo.test", "DS", "+short", "+time=1", "+retry=0"]);
      return r.stdout.startsWith(`${newTag} `) && !r.stdout.includes(`${oldTag} `);
    });
    // 4. Retire the old key once its signatures cannot be cached any more (RFC 7583 Iret).
    await until("walrus dnssec retire to be allowed", async () => (await cli("retire", oldTag)).code === 0, 30_000, 500);
    await until("both nameservers to publish one DNSKEY", async () => (await Promise.all(AREAS.map(dnskeys))).every((n) => n === 1));
    // Past every TTL (2 s) once more, then stop asking.
    await Bun.sleep(3000);
    running = false;
    await asking;
    expect(failures).toEqual([]);
    expect(asked).toBeGreaterThan(100);
  }, 90_000);
});
