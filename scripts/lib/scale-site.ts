// A site of any size on loopback for the scale benchmark: three area nodes (controller +
// nameserver) and N reporter nodes whose reporters probe a TCP port. Every node serves
// /metrics, so the benchmark can count what each one receives. The web servers are plain TCP
// listeners the benchmark holds itself (one process for all of them keeps the machine free
// for the nodes being measured); closing one is a dead web server ("connection refused").
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ScaleNode {
  name: string;
  config: string;
  metricsPort: number;
}

export interface ScaleSite {
  zone: string;
  areas: (ScaleNode & { dnsPort: number })[];
  reporters: (ScaleNode & { server: string; host: string; webPort: number })[];
}

/** `areaBase` and `reporterBase` are the first ports of two free blocks of 200 (scripts/lib/ports.ts). */
export function writeScaleSite(dir: string, n: number, areaBase: number, reporterBase: number): ScaleSite {
  if (n > 99) throw new Error("at most 99 reporters: each takes two ports of a block of 200");
  mkdirSync(dir, { recursive: true });
  const secretFile = join(dir, "site.secret");
  writeFileSync(secretFile, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const areaNames = ["east", "west", "north"];
  const site: ScaleSite = { zone: "scale.test", areas: [], reporters: [] };
  const p2p = (i: number) => areaBase + i;
  areaNames.forEach((name, i) => site.areas.push({ name, config: join(dir, `${name}.toml`), dnsPort: areaBase + 50 + i, metricsPort: areaBase + 60 + i }));
  for (let i = 0; i < n; i++) {
    site.reporters.push({
      name: `r${i + 1}`,
      server: `web-${i + 1}`,
      host: `127.0.9.${10 + i}`,
      webPort: areaBase + 99,
      config: join(dir, `r${i + 1}.toml`),
      metricsPort: reporterBase + 100 + i,
    });
  }
  const siteToml = [
    "[site]",
    `zone = "${site.zone}"`,
    'names = ["www"]',
    "ttl_seconds = 5",
    // All nodes share one host, whose CPU figures say nothing of any one server and swing
    // with whatever else runs; its memory figure is steady and low, so every server has a
    // load below threshold and an area moved by a failure comes home again.
    'load_terms = ["memory"]',
    `secret_file = "${secretFile}"`,
    "",
    ...areaNames.flatMap((a) => [`[site.areas.${a}]`, `nameserver = "ns-${a}"`, 'nameserver_addresses = ["127.0.0.1"]', ""]),
    ...site.reporters.flatMap((r, i) => [`[site.servers.${r.server}]`, `area = "${areaNames[i % areaNames.length]}"`, `addresses = ["${r.host}"]`, ""]),
  ].join("\n");
  const areaAddrs = areaNames.map((_, i) => `/ip4/127.0.0.1/tcp/${p2p(i)}`);
  const nodeToml = (name: string, port: number, metricsPort: number) => {
    const own = `/ip4/127.0.0.1/tcp/${port}`;
    return [
      "[node]",
      `name = "${name}"`,
      `state_dir = "${join(dir, "state", name)}"`,
      `listen = ["${own}"]`,
      `bootstrap = [${areaAddrs
        .filter((a) => a !== own)
        .map((a) => `"${a}"`)
        .join(", ")}]`,
      "",
      "[metrics]",
      `listen = "127.0.0.1:${metricsPort}"`,
      "",
    ];
  };
  site.areas.forEach((a, i) =>
    writeFileSync(
      a.config,
      [
        ...nodeToml(a.name, p2p(i), a.metricsPort),
        "[controller]",
        `priority = ${10 * (i + 1)}`,
        "",
        "[nameserver]",
        `area = "${a.name}"`,
        `listen = ["127.0.0.1:${a.dnsPort}"]`,
        "",
        siteToml,
      ].join("\n"),
    ),
  );
  site.reporters.forEach((r, i) =>
    writeFileSync(
      r.config,
      [
        ...nodeToml(r.name, reporterBase + i, r.metricsPort),
        "[reporter]",
        `server = "${r.server}"`,
        'source = "tcp"',
        `address = "${r.host}:${r.webPort}"`,
        "",
        siteToml,
      ].join("\n"),
    ),
  );
  return site;
}
