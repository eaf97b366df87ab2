// Metrics and the live status page of a real three-area site (compiled binary): scrape and
// parse /metrics, then drive the page in Debian's headless Chromium, drain a server from the
// CLI and watch the page change.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { queryA } from "../../scripts/lib/dns-query.ts";
import { digA, startNode, startWeb, until, walrus, WALRUS, writeSite, type Proc, type SiteLayout } from "../../scripts/lib/demo-site.ts";
import type { StatusReport } from "../../src/ops/status.ts";
import { CHROMIUM, launchChromium, one, parseMetrics } from "./ops-harness.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
const PORTS = await portBlock();

const dir = mkdtempSync(join(tmpdir(), "walrus-ops-page-"));
const procs = new Map<string, Proc>();
let site: SiteLayout;
let browser: BrowserContext | undefined;
const metricsPort = (i: number) => PORTS + 190 + i;

const area = (n: string) => site.areas.find((a) => a.name === n) as SiteLayout["areas"][number];
const opsUrl = (n: string) => `http://127.0.0.1:${metricsPort(site.areas.indexOf(area(n)))}/`;

async function status(a: string): Promise<StatusReport> {
  const r = await walrus(["status", "--json", "--config", area(a).config]);
  if (r.code !== 0) throw new Error(`walrus status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReport;
}

beforeAll(async () => {
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/ensure-tools.sh chromium; npm test does)`);
  site = writeSite({ dir, serversPerArea: 1, basePort: PORTS, octet: 8 });
  site.areas.forEach((a, i) => appendFileSync(a.config, `[metrics]\nlisten = "127.0.0.1:${metricsPort(i)}"\n`));
  for (const s of site.servers) procs.set(`web:${s.name}`, startWeb(s));
  await Promise.all([...procs.values()].map((p) => p.waitFor(/listening/)));
  for (const x of [...site.areas, ...site.servers]) procs.set(x.name, startNode(x.name, x.config));
  for (const a of site.areas) await until(`${a.name} following a master`, async () => (await status(a.name)).assignment !== null, 30_000, 250);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
  if (process.env.WALRUS_KEEP_TEST_DIR) console.log(`test site kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

test("/metrics is Prometheus text with the site's figures under conventional names", async () => {
  await until("every server up on the master", async () => (await status("east")).servers.every((v) => v.state === "up"), 15_000, 250);
  await digA(area("east").dnsPort, "www.demo.test");
  // The nameserver times one UDP query in 16 (counted for 16): ask enough that some is timed.
  for (let i = 0; i < 32; i++) await queryA(area("east").dnsPort, "www.demo.test", 2000).catch(() => []);
  const scrape = async (n: string) => {
    const r = await fetch(`${opsUrl(n)}metrics`);
    expect(r.headers.get("content-type")).toContain("text/plain");
    const text = await r.text();
    return { text, ...parseMetrics(text) };
  };
  // The master is whichever node says so; on a loaded machine it may not be the first choice.
  let master = "";
  await until(
    "exactly one node reporting itself master",
    async () => {
      const flags = await Promise.all(site.areas.map(async (a) => one((await scrape(a.name)).samples, "walrus_is_master")));
      master = site.areas[flags.indexOf(1)]?.name ?? "";
      return flags.filter((f) => f === 1).length === 1 && one((await scrape(master)).samples, "walrus_rounds_total") > 0;
    },
    15_000,
    250,
  );
  const { text, samples, types } = await scrape(master);
  for (const [name, type] of types) {
    if (type === "counter") expect(name).toEndWith("_total");
    else expect(name).not.toEndWith("_total");
  }
  for (const s of site.servers) {
    // one state at a time: the gauges of a server's states add up to 1
    expect(samples.filter((x) => x.name === "walrus_server_state" && x.labels.server === s.name).reduce((sum, x) => sum + x.value, 0)).toBe(1);
    expect(one(samples, "walrus_server_load_ratio", { server: s.name, cluster: s.area })).toBeGreaterThanOrEqual(0);
    expect(one(samples, "walrus_server_report_age_seconds", { server: s.name })).toBeLessThan(10);
    expect(one(samples, "walrus_server_drained", { server: s.name })).toBe(0);
  }
  for (const a of site.areas)
    expect(samples.filter((x) => x.name === "walrus_area_assigned_cluster" && x.labels.area === a.name).map((x) => x.value)).toEqual([1]);
  expect(one(samples, "walrus_server_load_threshold_ratio")).toBe(0.8);
  expect(one(samples, "walrus_master_epoch")).toBeGreaterThanOrEqual(1);
  expect(one(samples, "walrus_round_duration_seconds_count")).toBe(one(samples, "walrus_rounds_total"));
  expect(one(samples, "walrus_round_duration_seconds_bucket", { le: "+Inf" })).toBe(one(samples, "walrus_rounds_total"));
  expect(one(samples, "walrus_gossip_peers")).toBeGreaterThan(0);
  expect(one(samples, "walrus_gossip_messages_accepted_total", { type: "heartbeat" })).toBeGreaterThan(0);
  expect(one(samples, "walrus_members", { live: "true" })).toBeGreaterThanOrEqual(1);
  // DNS figures come from the node whose nameserver was asked.
  const east = (await scrape("east")).samples;
  expect(one(east, "walrus_dns_queries_total", { qtype: "A" })).toBeGreaterThanOrEqual(1);
  expect(one(east, "walrus_dns_responses_total", { rcode: "NOERROR" })).toBeGreaterThanOrEqual(1);
  expect(one(east, "walrus_dns_truncated_responses_total")).toBe(0);
  // no location map in the demo site: every query falls back to the nameserver's own area
  expect(one(east, "walrus_dns_steered_total", { area: "east", by: "fallback" })).toBeGreaterThanOrEqual(1);
  expect(one(east, "walrus_dns_steered_total", { area: "east", by: "ecs" })).toBe(0);
  expect(one(east, "walrus_location_map_stale")).toBe(0);
  const answered = one(east, "walrus_dns_answer_duration_seconds_count");
  expect(answered).toBeGreaterThanOrEqual(1);
  expect(one(east, "walrus_dns_answer_duration_seconds_bucket", { le: "+Inf" })).toBe(answered);
  // buckets are cumulative
  const buckets = east.filter((x) => x.name === "walrus_dns_answer_duration_seconds_bucket").map((x) => x.value);
  expect(buckets).toEqual([...buckets].sort((x, y) => x - y));
  const sample = join(tmpdir(), "walrus-metrics-sample.txt");
  writeFileSync(sample, text);
  console.log(`/metrics sample of the master (${master}) saved to ${sample}`);
}, 40_000);

test("the status page shows the site live: a drain from the CLI appears without reloading", async () => {
  browser = await launchChromium(dir);
  const page = await browser.newPage();
  await page.goto(opsUrl("west"));
  await page.locator('#servers tr[data-server="web-west-1"][data-state="up"]').waitFor({ timeout: 15_000 });
  await page.locator('#areas tr[data-area="west"][data-cluster="west"]').waitFor({ timeout: 15_000 });
  expect(await page.locator('#areas tr[data-area="west"] .why').textContent()).toContain("home and healthy");
  expect(site.areas.map((a) => a.name)).toContain((await page.locator("#master").textContent())?.replace(" (this node)", "") ?? "");

  const r = await walrus(["drain", "web-west-1", "--reason", "disk swap", "--config", area("north").config]);
  expect(r.code).toBe(0);
  await page.locator('#servers tr[data-server="web-west-1"][data-state="drained"]').waitFor({ timeout: 10_000 });
  expect(await page.locator('#servers tr[data-server="web-west-1"]').textContent()).toContain("disk swap");
  // West's only server is out: the area is forced onto another cluster (later rounds keep it
  // there), and the decision log on the page says why it moved.
  await page.locator('#areas tr[data-area="west"]:not([data-cluster="west"])').waitFor({ timeout: 10_000 });
  await page
    .locator("#decisions tbody tr")
    .filter({ hasText: /west → (east|north)/ })
    .filter({ hasText: "forced by availability" })
    .first()
    .waitFor({ timeout: 15_000 });
  // The area row says why it is away from home, whether this round says forced or kept.
  await page.locator('#areas tr[data-area="west"] .why', { hasText: "forced by availability: west has no functioning server" }).waitFor({ timeout: 10_000 });

  // Outside the test's directory, which is removed at the end: the path outlives the run.
  const shot = join(tmpdir(), "walrus-status-page.png");
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`status page screenshot: ${shot}`);

  // `walrus status` gives the same explanation as text.
  const text = await walrus(["status", "--config", area("west").config]);
  expect(text.stdout).toMatch(/^west\s+(east|north)\s.*forced by availability: west has no functioning server/m);
  expect(text.stdout).toMatch(/recent decisions[\s\S]*west\s+west → (east|north)\s+forced by availability\s+west has no functioning server/);

  expect((await walrus(["undrain", "web-west-1", "--config", area("north").config])).code).toBe(0);
  await page.locator('#areas tr[data-area="west"][data-cluster="west"]').waitFor({ timeout: 10_000 });
}, 60_000);

test("the listener answers unknown paths with a hint, and only GET", async () => {
  const r = await fetch(`${opsUrl("north")}nope`);
  expect(r.status).toBe(404);
  expect(await r.text()).toContain("/metrics");
  expect((await fetch(`${opsUrl("north")}metrics`, { method: "POST" })).status).toBe(405);
  const s = (await (await fetch(`${opsUrl("north")}status.json`)).json()) as StatusReport;
  expect(s.node).toBe("north");
  expect(s.decisions.length).toBeGreaterThan(0);
});
