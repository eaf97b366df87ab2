// A site that learns where its resolvers are (issue 18), in network namespaces, for the learning
// test and scripts/bench-learn-resolvers.ts: three walrus area nameservers (east, west, north)
// with an EMPTY hand-made map; Debian's unbound (default: random among nameservers within
// 400 ms) and BIND, each sending from a /24 of its own; between them the userspace delay relay
// (delay-relay.ts), which keeps every address, so a nameserver sees the resolver's own address
// and its probes to the resolver's port 53 take the delayed path too. Two labs, joined only by
// the relay: resolvers and the relay's front half on 10.218.1.0/24, nameservers and the back
// half on 10.218.2.0/24. Needs root, unbound, named, dig and dist/walrus.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUN, startProc, until, WALRUS, type Proc } from "./demo-site.ts";
import { namedOptions } from "./named-conf.ts";
import { createLab, type Lab } from "./netns.ts";

const RELAY = resolve(import.meta.dir, "delay-relay.ts");
export const AREAS = ["east", "west", "north"] as const;
export type Area = (typeof AREAS)[number];
/** One web server per area, so an answer names its area. */
const ADDRESS_OF: Record<Area, string> = { east: "10.98.1.1", west: "10.98.2.1", north: "10.98.3.1" };
export const RESOLVERS = { unbound: "10.218.20.53", bind: "10.218.21.53" } as const;
export type Resolver = keyof typeof RESOLVERS;
export const PREFIX_OF: Record<Resolver, string> = { unbound: "10.218.20.0/24", bind: "10.218.21.0/24" };
/** Round trip in ms from each resolver to each area's nameserver. */
export type Rtts = Record<Resolver, Record<Area, number>>;

export const nearest = (rtt: Rtts, r: Resolver): Area => AREAS.reduce((a, b) => (rtt[r][a] <= rtt[r][b] ? a : b));

export interface LearnLab {
  /** Each area node's config file, for `walrus status` and `walrus locations`. */
  nodes: Record<Area, string>;
  /** `count` fresh names through one resolver in one dig run: the share answered for `expected`. */
  lookups(resolver: Resolver, count: number, expected: Area, phase: string): Promise<number>;
  status(area: Area): Promise<any>;
  /** Every nameserver's learned map gives `prefix` to `area`. */
  learnedEverywhere(prefix: string, area: Area): Promise<boolean>;
  /** Probes each area's nameserver sent per second over the next `windowMs`. */
  probeRates(windowMs: number): Promise<Record<Area, number>>;
  /** New round trips, in force once both relay halves have read them. */
  setDelays(rtt: Rtts): Promise<void>;
  stop(): Promise<void>;
}

/** `names`: fresh names available in all; `learn`: the [learn] table's lines. */
export async function startLearnLab(o: { names: number; rtt: Rtts; learn: string[]; log?: (line: string) => void }): Promise<LearnLab> {
  const dir = mkdtempSync(join(tmpdir(), "wlrn-"));
  const procs: Proc[] = [];
  const relays: Proc[] = [];
  const labs: Lab[] = [];
  const names = Array.from({ length: o.names }, (_, i) => `h${i}`);
  let nextName = 0;
  const stop = async () => {
    await Promise.all([...procs, ...relays].map((p) => p.kill()));
    for (const l of labs) await l.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rlab = await createLab({ prefix: "wlrnr", subnet: "10.218.1", hosts: ["resolver", "front"] });
    labs.push(rlab);
    const nlab = await createLab({ prefix: "wlrnn", subnet: "10.218.2", hosts: [...AREAS.map((a) => `ns-${a}`), "back"] });
    labs.push(nlab);
    const sh = async (lab: Lab, host: string, cmd: string) => {
      const r = await lab.run(host, ["sh", "-c", cmd]);
      if (r.code !== 0) throw new Error(`${host}: ${cmd}: ${r.stderr}`);
    };
    const nsAddrs = AREAS.map((a) => nlab.address(`ns-${a}`));
    const resolverNets = Object.values(PREFIX_OF);
    // The resolver host reaches the nameservers' addresses through the relay's front half, which
    // holds them; the nameservers reach the resolvers' addresses through the back half.
    await sh(
      rlab,
      "resolver",
      `${Object.values(RESOLVERS)
        .map((a) => `ip addr add ${a}/24 dev eth0`)
        .join(" && ")} && ip route add 10.218.2.0/24 via ${rlab.address("front")}`,
    );
    await sh(
      rlab,
      "front",
      `${nsAddrs.map((a) => `ip addr add ${a}/32 dev eth0`).join(" && ")} && ${resolverNets.map((n) => `ip route add ${n} via ${rlab.address("resolver")}`).join(" && ")}`,
    );
    await sh(
      nlab,
      "back",
      Object.values(RESOLVERS)
        .map((a) => `ip addr add ${a}/32 dev eth0`)
        .join(" && "),
    );
    for (const a of AREAS) await sh(nlab, `ns-${a}`, resolverNets.map((n) => `ip route add ${n} via ${nlab.address("back")}`).join(" && "));

    const delays = join(dir, "delays.json");
    const writeDelays = (rtt: Rtts) =>
      writeFileSync(
        delays,
        JSON.stringify(
          Object.fromEntries(
            (Object.keys(RESOLVERS) as Resolver[]).flatMap((r) => AREAS.map((a) => [`${RESOLVERS[r]} ${nlab.address(`ns-${a}`)}`, rtt[r][a]])),
          ),
        ),
      );
    writeDelays(o.rtt);
    const link = join(dir, "relay.sock");
    relays.push(
      startProc("relay-front", [
        "ip",
        "netns",
        "exec",
        rlab.ns("front"),
        BUN,
        RELAY,
        "--serve",
        "--link",
        link,
        "--delays",
        delays,
        "--listen",
        nsAddrs.map((a) => `${a}:53`).join(","),
      ]),
    );
    await relays[0]?.waitFor(/relay ready/);
    relays.push(
      startProc("relay-back", [
        "ip",
        "netns",
        "exec",
        nlab.ns("back"),
        BUN,
        RELAY,
        "--link",
        link,
        "--delays",
        delays,
        "--listen",
        Object.values(RESOLVERS)
          .map((a) => `${a}:53`)
          .join(","),
      ]),
    );
    await relays[1]?.waitFor(/relay ready/);

    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    const site = [
      "[site]",
      'zone = "demo.test"',
      `names = [${names.map((n) => `"${n}"`).join(", ")}]`,
      "ttl_seconds = 30",
      `secret_file = "${join(dir, "site.secret")}"`,
      ...AREAS.flatMap((a) => [`[site.areas.${a}]`, `nameserver = "ns-${a}"`, `nameserver_addresses = ["${nlab.address(`ns-${a}`)}"]`]),
      ...AREAS.flatMap((a) => [`[site.servers.web-${a}]`, `area = "${a}"`, `addresses = ["${ADDRESS_OF[a]}"]`]),
    ].join("\n");
    const nodes = {} as Record<Area, string>;
    for (const a of AREAS) {
      const host = `ns-${a}`;
      nodes[a] = join(dir, `${a}.toml`);
      const peers = AREAS.filter((b) => b !== a).map((b) => `"/ip4/${nlab.address(`ns-${b}`)}/tcp/7946"`);
      const node = [
        "[node]",
        `name = "${host}"`,
        `state_dir = "${join(dir, a)}"`,
        `listen = ["/ip4/${nlab.address(host)}/tcp/7946"]`,
        `bootstrap = [${peers.join(", ")}]`,
      ];
      // East answers UDP in a worker process: its counts and the learned map cross the IPC.
      const workers = a === "east" ? ["workers = 1"] : [];
      writeFileSync(nodes[a], [...node, "[nameserver]", `area = "${a}"`, `listen = ["${nlab.address(host)}:53"]`, ...workers, ...o.learn, site].join("\n"));
      procs.push(startProc(host, ["ip", "netns", "exec", nlab.ns(host), WALRUS, "node", "--config", nodes[a]]));
    }

    writeFileSync(
      join(dir, "unbound.conf"),
      [
        "server:",
        `  interface: ${RESOLVERS.unbound}`,
        `  outgoing-interface: ${RESOLVERS.unbound}`,
        `  access-control: ${rlab.address("resolver")}/32 allow`,
        "  do-ip6: no",
        '  username: ""',
        '  chroot: ""',
        `  directory: "${dir}"`,
        `  pidfile: "${join(dir, "unbound.pid")}"`,
        "  use-syslog: no",
        "  verbosity: 1",
        '  module-config: "iterator"',
        '  local-zone: "test." nodefault',
        "stub-zone:",
        '  name: "demo.test."',
        ...nsAddrs.map((a) => `  stub-addr: ${a}`),
        "",
      ].join("\n"),
    );
    procs.push(startProc("unbound", ["ip", "netns", "exec", rlab.ns("resolver"), "unbound", "-d", "-c", join(dir, "unbound.conf")]));
    writeFileSync(
      join(dir, "named.conf"),
      `${namedOptions({ dir, listen: RESOLVERS.bind, querySource: RESOLVERS.bind, allowRecursion: rlab.address("resolver") })}zone "demo.test" { type static-stub; server-addresses { ${nsAddrs.map((a) => `${a};`).join(" ")} }; };\n`,
    );
    procs.push(startProc("bind", ["ip", "netns", "exec", rlab.ns("resolver"), "named", "-f", "-4", "-c", join(dir, "named.conf")]));

    const dig = async (resolver: Resolver, query: string[]) =>
      (
        await rlab.run("resolver", ["dig", `@${RESOLVERS[resolver]}`, "-b", rlab.address("resolver"), "+time=3", "+tries=2", "+noall", "+answer", ...query], {
          timeoutMs: 60_000,
        })
      ).stdout;
    const status = async (area: Area) => JSON.parse(Bun.spawnSync([WALRUS, "status", "--json", "--config", nodes[area]]).stdout.toString());
    await Promise.all(procs.filter((p) => p.name.startsWith("ns-")).map((p) => p.waitFor(/answering DNS/)));
    for (const r of Object.keys(RESOLVERS) as Resolver[])
      await until(`${r} to resolve demo.test SOA`, async () => (await dig(r, ["demo.test", "SOA"])).includes("\tSOA\t"), 30_000, 250);

    const reloads = () => relays.map((r) => r.output().match(/delays reloaded/g)?.length ?? 0);
    return {
      nodes,
      status,
      async lookups(resolver, count, expected, phase) {
        if (nextName + count > names.length) throw new Error(`only ${names.length} fresh names in the site`);
        const batch = names.slice(nextName, (nextName += count));
        const out = await dig(
          resolver,
          batch.flatMap((n) => [`${n}.demo.test`, "A"]),
        );
        const answers = new Map(
          out
            .split("\n")
            .filter((l) => l.includes("\tA\t"))
            .map((l) => [l.split(/\s+/)[0], l.split(/\s+/).at(-1)]),
        );
        const right = batch.filter((n) => answers.get(`${n}.demo.test.`) === ADDRESS_OF[expected]).length;
        (o.log ?? console.log)(
          `${phase}: ${resolver}: ${right}/${count} answers for its nearest area ${expected} (${((100 * right) / count).toFixed(1)} %; ${answers.size} answered)`,
        );
        return right / count;
      },
      async learnedEverywhere(prefix, area) {
        return (await Promise.all(AREAS.map((a) => status(a)))).every((s) =>
          s.locations.learned.entries.some((e: { prefix: string; area: string }) => e.prefix === prefix && e.area === area),
        );
      },
      async probeRates(windowMs) {
        const sent = () => Promise.all(AREAS.map(async (a) => (await status(a)).locations.learned.probesSent as number));
        const t0 = performance.now();
        const before = await sent();
        await until(`${windowMs} ms of probing`, () => performance.now() - t0 >= windowMs, windowMs + 10_000, 250);
        const after = await sent();
        const seconds = (performance.now() - t0) / 1000;
        return Object.fromEntries(AREAS.map((a, i) => [a, ((after[i] ?? 0) - (before[i] ?? 0)) / seconds])) as Record<Area, number>;
      },
      async setDelays(rtt) {
        const before = reloads();
        writeDelays(rtt);
        for (const r of relays) r.proc.kill("SIGHUP");
        await until("both relay halves to read the new delays", () => reloads().every((n, i) => n > (before[i] ?? 0)), 10_000, 50);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
