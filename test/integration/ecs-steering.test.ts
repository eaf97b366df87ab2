// Steering by location through real resolvers, in network namespaces: three walrus area
// nameservers (east, west, north) answer from one location map; a client on 10.77.30.0/24 (mapped
// to north) asks resolvers on 10.77.20.0/24 (mapped to west): Debian's unbound without ECS,
// unbound with `subnetcache` + `send-client-subnet`, and BIND (which never sends ECS). Every
// answer must be the map's area for the resolver (no ECS) or for the client's subnet (ECS),
// whichever nameserver the resolver asked; each lookup uses a fresh name, since unbound's ECS
// cache ignores `flush`. East's nameserver runs a DNS worker process too, which must steer alike.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProc, until as untilShared, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { namedOptions } from "../../scripts/lib/named-conf.ts";
import { createLab, type Lab } from "../../scripts/lib/netns.ts";
import { needs } from "./needs.ts";

const READY = needs("ecs-steering", { root: true, tools: ["unbound", "named", "dig", "ip"], files: [WALRUS] });

const AREAS = ["east", "west", "north"] as const;
/** One web server per area, so an answer names its area. */
const ADDRESS_OF = { east: "10.99.1.1", west: "10.99.2.1", north: "10.99.3.1" } as const;
const CLIENT = "10.77.30.10";
/** Three resolvers side by side on the resolver host, each sending from its own address. */
const RESOLVERS = { unbound: "10.77.20.53", "unbound-ecs": "10.77.20.54", bind: "10.77.20.55" } as const;
type Resolver = keyof typeof RESOLVERS;
const LOOKUPS = 60;
const NAMES = Array.from({ length: LOOKUPS }, (_, i) => `h${i}`);

describe.skipIf(!READY)("steering by location through real resolvers", () => {
  let lab: Lab;
  let dir: string;
  const procs: Proc[] = [];
  const nodes: Record<string, string> = {};
  let site = "";
  const inLab = (host: string, cmd: string[]) => ["ip", "netns", "exec", lab.ns(host), ...cmd];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wecs-steering-"));
    lab = await createLab({ prefix: "wecs", subnet: "10.202.7", hosts: ["client", "resolver", ...AREAS.map((a) => `ns-${a}`)] });
    const addr = (h: string) => lab.address(h);
    // Client and resolvers on subnets of their own, reachable on the lab's one link.
    const sh = async (host: string, cmd: string) => {
      const r = await lab.run(host, ["sh", "-c", cmd]);
      if (r.code !== 0) throw new Error(`${host}: ${cmd}: ${r.stderr}`);
    };
    await sh("client", `ip addr add ${CLIENT}/24 dev eth0 && ip route add 10.77.20.0/24 dev eth0`);
    await sh(
      "resolver",
      `${Object.values(RESOLVERS)
        .map((a) => `ip addr add ${a}/24 dev eth0`)
        .join(" && ")} && ip route add 10.77.30.0/24 dev eth0`,
    );
    for (const a of AREAS) await sh(`ns-${a}`, "ip route add 10.77.20.0/24 dev eth0");

    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "locations.txt"), "# resolvers\n10.77.20.0/24 west\n# clients\n10.77.30.0/24 north\n");
    site = [
      "[site]",
      'zone = "demo.test"',
      `names = [${NAMES.map((n) => `"${n}"`).join(", ")}]`,
      "ttl_seconds = 30",
      `secret_file = "${join(dir, "site.secret")}"`,
      `location_map_file = "${join(dir, "locations.txt")}"`,
      ...AREAS.flatMap((a) => [`[site.areas.${a}]`, `nameserver = "ns-${a}"`, `nameserver_addresses = ["${addr(`ns-${a}`)}"]`]),
      ...AREAS.flatMap((a) => [`[site.servers.web-${a}]`, `area = "${a}"`, `addresses = ["${ADDRESS_OF[a]}"]`]),
    ].join("\n");
    for (const a of AREAS) {
      const host = `ns-${a}`;
      nodes[a] = join(dir, `${a}.toml`);
      const peers = AREAS.filter((b) => b !== a).map((b) => `"/ip4/${addr(`ns-${b}`)}/tcp/7946"`);
      const node = [
        "[node]",
        `name = "ns-${a}"`,
        `state_dir = "${join(dir, a)}"`,
        `listen = ["/ip4/${addr(host)}/tcp/7946"]`,
        `bootstrap = [${peers.join(", ")}]`,
      ];
      // East answers UDP with two processes: the worker must steer from the same map.
      const workers = a === "east" ? ["workers = 2"] : [];
      writeFileSync(nodes[a], [...node, "[nameserver]", `area = "${a}"`, `listen = ["${addr(host)}:53"]`, ...workers, site].join("\n"));
      procs.push(startProc(host, inLab(host, [WALRUS, "node", "--config", nodes[a]])));
    }

    const stubAddrs = AREAS.map((a) => `  stub-addr: ${addr(`ns-${a}`)}`);
    const unbound = (name: string, address: string, ecs: boolean) => {
      const conf = join(dir, `${name}.conf`);
      writeFileSync(
        conf,
        [
          "server:",
          `  interface: ${address}`,
          `  outgoing-interface: ${address}`,
          "  access-control: 10.77.0.0/16 allow",
          "  do-ip6: no",
          '  username: ""',
          '  chroot: ""',
          `  directory: "${dir}"`,
          `  pidfile: "${join(dir, `${name}.pid`)}"`,
          "  use-syslog: no",
          "  verbosity: 1",
          ...(ecs
            ? [
                '  module-config: "subnetcache iterator"',
                `  send-client-subnet: ${lab.address("ns-east").replace(/\.\d+$/, ".0/24")}`,
                "  max-client-subnet-ipv4: 24",
              ]
            : ['  module-config: "iterator"']),
          '  local-zone: "test." nodefault',
          "stub-zone:",
          '  name: "demo.test."',
          ...stubAddrs,
          "",
        ].join("\n"),
      );
      procs.push(startProc(name, inLab("resolver", ["unbound", "-d", "-c", conf])));
    };
    unbound("unbound", RESOLVERS.unbound, false);
    unbound("unbound-ecs", RESOLVERS["unbound-ecs"], true);

    writeFileSync(
      join(dir, "named.conf"),
      `${namedOptions({ dir, listen: RESOLVERS.bind, querySource: RESOLVERS.bind })}zone "demo.test" { type static-stub; server-addresses { ${AREAS.map((a) => `${addr(`ns-${a}`)};`).join(" ")} }; };
`,
    );
    procs.push(startProc("bind", inLab("resolver", ["named", "-f", "-4", "-c", join(dir, "named.conf")])));

    await Promise.all(procs.filter((p) => p.name.startsWith("ns-")).map((p) => p.waitFor(/answering DNS/)));
    // Up means answering SOA: a name not steered, so no lookup of a test name is spent.
    for (const r of Object.keys(RESOLVERS) as Resolver[])
      await until(async () => (await dig(r, ["demo.test", "SOA"])).includes("\tSOA\t"), `${r} to resolve demo.test SOA`);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function dig(resolver: Resolver, query: string[]): Promise<string> {
    const r = await lab.run("client", ["dig", `@${RESOLVERS[resolver]}`, "-b", CLIENT, "+time=3", "+tries=2", "+noall", "+answer", ...query], {
      timeoutMs: 30_000,
    });
    return r.stdout;
  }

  /** The shared poll, with every node's recent log in the error. */
  async function until(check: () => Promise<boolean>, what: string) {
    try {
      await untilShared(what, check, 15_000, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}; logs:\n${procs.map((p) => `${p.name}: ${p.output().slice(-600)}`).join("\n")}`);
    }
  }

  async function status(area: string) {
    const r = Bun.spawnSync([WALRUS, "status", "--json", "--config", nodes[area] ?? ""]);
    return JSON.parse(r.stdout.toString());
  }

  /** Queries each name once (one dig run); the share answered with the expected area's address, and which nameservers were asked. */
  async function lookups(resolver: Resolver, expected: (typeof AREAS)[number]) {
    const before = await Promise.all(AREAS.map(async (a) => (await status(a)).dns.queries as number));
    const out = await dig(
      resolver,
      NAMES.flatMap((n) => [`${n}.demo.test`, "A"]),
    );
    const answers = new Map(
      out
        .split("\n")
        .filter((l) => l.includes("\tA\t"))
        .map((l) => [l.split(/\s+/)[0], l.split(/\s+/).at(-1)]),
    );
    const right = NAMES.filter((n) => answers.get(`${n}.demo.test.`) === ADDRESS_OF[expected]).length;
    const after = await Promise.all(AREAS.map(async (a) => (await status(a)).dns.queries as number));
    const asked = AREAS.filter((_, i) => (after[i] ?? 0) > (before[i] ?? 0));
    console.log(
      `${resolver}: ${right}/${LOOKUPS} answers for ${expected} (${((100 * right) / LOOKUPS).toFixed(1)} %); nameservers asked: ${asked.join(", ")}; answers seen: ${[...new Set(answers.values())].join(" ")}`,
    );
    return { right, asked };
  }

  test("unbound without ECS: every answer is the resolver's area, whichever nameserver it asked", async () => {
    const { right, asked } = await lookups("unbound", "west");
    expect(right).toBe(LOOKUPS);
    // Unbound spreads queries over nameservers within 400 ms of each other: the rule, not luck, made them agree.
    expect(asked.length).toBeGreaterThan(1);
  }, 60_000);

  test("unbound with subnetcache and send-client-subnet: every answer is the client's area", async () => {
    const { right, asked } = await lookups("unbound-ecs", "north");
    expect(right).toBe(LOOKUPS);
    expect(asked.length).toBeGreaterThan(1);
  }, 60_000);

  test("BIND (no ECS): every answer is the resolver's area", async () => {
    const { right } = await lookups("bind", "west");
    expect(right).toBe(LOOKUPS);
  }, 60_000);

  test("status: one map version on every nameserver, and how each query was steered", async () => {
    // Liveness can blink on a loaded machine, and a DNS worker reports its counts to the node
    // only every second: wait until every node sees all three nameservers and the counts are in.
    let all: { locations: { version: string; nameservers: { stale: boolean }[]; steering: { byArea: Record<string, Record<string, number>> } } }[] = [];
    const total = (how: "ecs" | "resolver" | "fallback") =>
      all.reduce((n, s) => n + Object.values(s.locations.steering.byArea).reduce((m, c) => m + (c[how] ?? 0), 0), 0);
    await until(
      async () => {
        all = await Promise.all(AREAS.map((a) => status(a)));
        return all.every((s) => s.locations.nameservers.length === 3) && total("ecs") >= LOOKUPS && total("resolver") >= 2 * LOOKUPS;
      },
      `every node to see three live nameservers, and at least ${LOOKUPS} queries steered by ECS and ${2 * LOOKUPS} by resolver address`,
    );
    const versions = all.map((s) => s.locations.version);
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toMatch(/^[0-9a-f]{12}$/);
    for (const s of all) expect(s.locations.nameservers.map((n) => n.stale)).toEqual([false, false, false]);
    // And as an operator reads it.
    const text = Bun.spawnSync([WALRUS, "status", "--config", nodes.west ?? ""]).stdout.toString();
    expect(text).toContain(`location map: version ${versions[0]}, 2 entries`);
    expect(text).toMatch(/steered \(ecs \/ resolver \/ fallback\): .*west \d+\/\d+\/\d+/);
  }, 30_000);

  test("a nameserver started with another map is flagged stale, and the others are not", async () => {
    // A second north nameserver (in north's namespace, DNS on its loopback) whose map has one entry more.
    writeFileSync(join(dir, "locations-stale.txt"), "10.77.20.0/24 west\n10.77.30.0/24 north\n10.77.40.0/24 east\n");
    const config = join(dir, "stale.toml");
    const addr = lab.address("ns-north");
    writeFileSync(
      config,
      [
        "[node]",
        'name = "ns-north-stale"',
        `state_dir = "${join(dir, "stale")}"`,
        `listen = ["/ip4/${addr}/tcp/7947"]`,
        `bootstrap = ["/ip4/${lab.address("ns-west")}/tcp/7946"]`,
        "[nameserver]",
        'area = "north"',
        'listen = ["127.0.0.1:50199"]',
        site.replace(join(dir, "locations.txt"), join(dir, "locations-stale.txt")),
      ].join("\n"),
    );
    const stale = startProc("ns-north-stale", inLab("ns-north", [WALRUS, "node", "--config", config]));
    procs.push(stale);
    await stale.waitFor(/answering DNS/);
    const flagged = async () => {
      const l = (await status("west")).locations;
      return (
        l.nameservers.length === 4 &&
        l.nameservers
          .filter((n: { stale: boolean }) => n.stale)
          .map((n: { node: string }) => n.node)
          .join() === "ns-north-stale"
      );
    };
    await until(flagged, "west's status to flag ns-north-stale");
    const text = Bun.spawnSync([WALRUS, "status", "--config", nodes.west ?? ""]).stdout.toString();
    expect(text).toContain("ns-north-stale");
    expect(text).toContain("(STALE)");
    // The odd one out sees itself outvoted.
    await until(
      async () => Bun.spawnSync([WALRUS, "status", "--config", config]).stdout.toString().includes("STALE: most nameservers answer from"),
      "the stale node to see it is stale",
    );
  }, 60_000);
});
