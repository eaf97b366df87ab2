// Content walrus does not replicate (issue 16: content_version_command; thesis §9 "any
// out-of-date server"): real reporter nodes run the operator's command, which prints when the
// server's content last changed; a server more than content_grace_ms behind the freshest is
// stale, left out of the answers, and back once it catches up.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StatusReport } from "../../src/ops/status.ts";
import { digA, startNode, startWeb, until, WALRUS, writeSite, type Proc, type SiteLayout } from "../../scripts/lib/demo-site.ts";
import { portBlock } from "../../scripts/lib/ports.ts";

setDefaultTimeout(60_000);
const GRACE_MS = 3000;
const dir = mkdtempSync(join(tmpdir(), "walrus-content-"));
const procs: Proc[] = [];
let site: SiteLayout;

const timeFile = (server: string) => join(dir, `${server}.content-time`);
/** The site's newest change, as a database primary would have it; replicas print it once they replayed it. */
const NEWEST_S = Math.floor(Date.now() / 1000) - 5;
/** What the server's content_version_command will print: its content `behindS` older than the newest change. */
const contentAge = (server: string, behindS: number | string) =>
  writeFileSync(timeFile(server), typeof behindS === "string" ? behindS : `${NEWEST_S - behindS}\n`);

async function status(): Promise<StatusReport> {
  const p = Bun.spawn([WALRUS, "status", "--json", "--config", site.areas[0]?.config as string], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  if ((await p.exited) !== 0) throw new Error(`walrus status: ${await new Response(p.stderr).text()}`);
  return JSON.parse(out) as StatusReport;
}
const answer = async () => (await digA(site.areas[0]?.dnsPort as number, `www.${site.zone}`, [], site.areas[0]?.host)).sort().join();
const hostOf = (server: string) => site.servers.find((s) => s.name === server)?.host as string;

beforeAll(async () => {
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  site = writeSite({ dir, areas: ["east"], serversPerArea: 2, basePort: await portBlock(), octet: 12 });
  for (const s of site.servers) {
    contentAge(s.name, 0);
    const toml = readFileSync(s.config, "utf8").replace("timeout_ms = 500\n", `timeout_ms = 500\ncontent_version_command = "cat ${timeFile(s.name)}"\n`);
    writeFileSync(s.config, toml.replace("[site]\n", `[site]\ncontent_grace_ms = ${GRACE_MS}\n`));
  }
  const east = site.areas[0];
  if (east) writeFileSync(east.config, readFileSync(east.config, "utf8").replace("[site]\n", `[site]\ncontent_grace_ms = ${GRACE_MS}\n`));
  for (const s of site.servers) procs.push(startWeb(s));
  await Promise.all(procs.map((p) => p.waitFor(/listening/)));
  for (const x of [...site.areas, ...site.servers]) procs.push(startNode(x.name, x.config));
  const both = [hostOf("web-east-1"), hostOf("web-east-2")].sort().join();
  await until("both servers answered", async () => (await answer()) === both, 30_000, 250);
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
});

test("a server whose content falls behind the freshest by more than the grace is stale and left out; caught up, it is back", async () => {
  contentAge("web-east-2", 60);
  const stale = async () => (await status()).servers.find((v) => v.name === "web-east-2");
  await until("web-east-2 stale in status", async () => (await stale())?.stale === true, 15_000, 250);
  expect((await stale())?.reason).toMatch(/stale: content 60 s behind the freshest server/);
  await until("only web-east-1 answered", async () => (await answer()) === hostOf("web-east-1"), 10_000, 250);

  contentAge("web-east-2", 0);
  await until("web-east-2 answered again", async () => (await answer()) === [hostOf("web-east-1"), hostOf("web-east-2")].sort().join(), 15_000, 250);
  expect((await stale())?.stale).toBe(false);
});

test("a command that prints no time is logged and judged on nothing: the server stays answered", async () => {
  contentAge("web-east-2", "replica catching up\n");
  const reporter = procs.find((p) => p.name === "web-east-2");
  await reporter?.waitFor(/cannot read the content's time.*expected the time of the newest change, in Unix seconds/, 10_000);
  await Bun.sleep(2000);
  expect(await answer()).toBe([hostOf("web-east-1"), hostOf("web-east-2")].sort().join());
});
