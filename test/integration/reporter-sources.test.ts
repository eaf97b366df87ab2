// Every web source against real Debian web servers, through the one shared contract.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apacheSource } from "../../src/report/apache-source.ts";
import { httpProbe } from "../../src/report/http-probe.ts";
import { nginxSource } from "../../src/report/nginx-source.ts";
import { tcpProbe } from "../../src/report/tcp-probe.ts";
import { createWebSource } from "../../src/report/web-sources.ts";
import type { WebSourceConfig } from "../../src/report/config.ts";
import { APACHE_WORKERS, startApache, startNginx, type WebServer } from "../../scripts/lib/web-servers.ts";
import { webSourceContract, type ContractTarget, type Endpoint } from "./web-source-contract.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const BASE = await portBlock();

const HOST = "127.0.9.1";
const PORTS = { host: HOST, closedPort: BASE + 9, silentPort: BASE + 2, garbagePort: BASE + 3 };

let apache: WebServer;
let nginx: WebServer;
beforeAll(async () => {
  [apache, nginx] = await Promise.all([startApache({ host: HOST, port: BASE }), startNginx({ host: HOST, port: BASE + 1 })]);
});
afterAll(async () => {
  await Promise.all([apache?.remove(), nginx?.remove()]);
});

const served = (s: () => WebServer, port: number): ContractTarget["server"] => ({
  host: HOST,
  port,
  start: () => s().start(),
  stop: () => s().stop(),
});
const hit = (s: () => WebServer) => async () => void (await fetch(`${s().base}/`).then((r) => r.arrayBuffer()));
const url = (at: Endpoint, path: string) => `http://${at.host}:${at.port}${path}`;

describe("apache mod_status", () => {
  webSourceContract(
    () => ({
      name: "apache",
      server: served(() => apache, BASE),
      make: (at, timeoutMs) => apacheSource({ statusUrl: url(at, "/server-status?auto"), timeoutMs }),
      figures: true,
      hit: hit(() => apache),
      silent: "down",
      garbage: "unreadable",
    }),
    PORTS,
  );

  test("max workers: the Scoreboard's slots, or the operator's MaxRequestWorkers when stated", async () => {
    const fromBoard = await apacheSource({ statusUrl: apache.statusUrl, timeoutMs: 1000 }).read(0);
    const stated = await apacheSource({ statusUrl: apache.statusUrl, timeoutMs: 1000, maxWorkers: 10 }).read(0);
    expect(fromBoard.state === "up" && fromBoard.stats?.maxWorkers).toBe(APACHE_WORKERS);
    expect(stated.state === "up" && stated.stats?.maxWorkers).toBe(10);
  });
});

describe("nginx stub_status", () => {
  webSourceContract(
    () => ({
      name: "nginx",
      server: served(() => nginx, BASE + 1),
      make: (at, timeoutMs) => nginxSource({ statusUrl: url(at, "/nginx_status"), timeoutMs, capacity: 256 }),
      figures: true,
      hit: hit(() => nginx),
      silent: "down",
      garbage: "unreadable",
    }),
    PORTS,
  );
});

describe("http probe", () => {
  webSourceContract(
    () => ({
      name: "http",
      server: served(() => nginx, BASE + 1),
      make: (at, timeoutMs) => httpProbe({ url: url(at, "/"), timeoutMs, expectStatus: 200, expectBody: "served by nginx" }),
      figures: false,
      hit: hit(() => nginx),
      silent: "down",
      garbage: "down",
    }),
    PORTS,
  );
});

describe("tcp probe", () => {
  webSourceContract(
    () => ({
      name: "tcp",
      server: served(() => nginx, BASE + 1),
      make: (at, timeoutMs) => tcpProbe({ address: at, timeoutMs }),
      figures: false,
      hit: hit(() => nginx),
      // A listener that accepts is all a connect probe can see.
      silent: "up",
      garbage: "up",
    }),
    PORTS,
  );
});

describe("createWebSource: each [reporter] source kind builds its source", () => {
  const configs = (): [string, WebSourceConfig, boolean][] => [
    ["apache", { kind: "apache", statusUrl: apache.statusUrl, maxWorkers: 12 }, true],
    ["nginx", { kind: "nginx", statusUrl: nginx.statusUrl, capacity: 64 }, true],
    ["http", { kind: "http", url: `${nginx.base}/`, expectStatus: 200, expectBody: "served by nginx" }, false],
    ["tcp", { kind: "tcp", address: { host: HOST, port: BASE + 1 } }, false],
  ];
  test("every kind reads its real server up, with figures only from status pages", async () => {
    for (const [kind, cfg, figures] of configs()) {
      const reading = await createWebSource(cfg, 1000).read(0);
      expect([kind, reading.state, reading.state === "up" && reading.stats !== undefined]).toEqual([kind, "up", figures]);
    }
  });
  test("the stated limits reach the figures", async () => {
    const [a, n] = await Promise.all([createWebSource(configs()[0]![1], 1000).read(0), createWebSource(configs()[1]![1], 1000).read(0)]);
    expect([a.state === "up" && a.stats?.maxWorkers, n.state === "up" && n.stats?.maxWorkers]).toEqual([12, 64]);
  });
});
