// A site changed while it runs (issue 12): `walrus site push` signs a new version of [site] with
// the operator key; every node adopts it without restarting. A new web host (reporter grant,
// its own file already on the new version) joins and is answered once the document lists it; a
// record is added; a client asks every area every 100 ms with real `dig` throughout and never
// gets an empty answer or a server outside the old or new site. A node down during the change
// catches up from its peers. Real processes on loopback, the compiled binary.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { digA, startNode, startWeb, until, walrus, WALRUS, writeSite, type Proc, type SiteLayout } from "../../scripts/lib/demo-site.ts";
import { signGrant } from "../../src/authority/grant.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
import { operatorSigner } from "../../src/authority/operator-key.ts";
import { serverName } from "../../src/core/types.ts";
import { newIdentityKey, peerIdOfKey } from "../../src/net/peer-keys.ts";

setDefaultTimeout(90_000);
const PORTS = await portBlock();
const dir = mkdtempSync(join(tmpdir(), "walrus-sitedoc-"));
const procs = new Map<string, Proc>();
let site: SiteLayout;
const NEW_HOST = "127.0.9.13";
const name = "www.demo.test";

const area = (n: string) => site.areas.find((a) => a.name === n) as SiteLayout["areas"][number];
const answer = async (a: string) => (await digA(area(a).dnsPort, name)).sort();
const shown = async (a: string) => {
  const r = await walrus(["site", "show", "--config", area(a).config]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
};

/** The [site] of the running site with one server more in east and one record: version 1. */
function newSiteFile(): string {
  const raw = parse(readFileSync(area("east").config, "utf8")) as { site: Record<string, unknown> };
  const s = raw.site as { servers: Record<string, unknown>; records?: unknown[] };
  s.servers["web-east-3"] = { area: "east", addresses: [NEW_HOST] };
  s.records = [{ name: "mail", type: "A", data: "198.51.100.25" }];
  const file = join(dir, "site-v1.toml");
  writeFileSync(file, stringify({ site: s }));
  return file;
}

/** The new web host: its web server, and a reporter node on the new site with its grant. */
function startNewHost(siteFile: string): void {
  const s = { ...(site.servers[0] as SiteLayout["servers"][number]), name: "web-east-3", host: NEW_HOST };
  procs.set("web:web-east-3", startWeb(s));
  const stateDir = join(dir, "state", "web-east-3");
  mkdirSync(stateDir, { recursive: true });
  const identity = newIdentityKey();
  writeFileSync(join(stateDir, "identity.key"), identity, { mode: 0o600 });
  const signer = operatorSigner(readFileSync(site.operatorKey as string, "utf8"));
  const now = Date.now();
  const grant = signGrant(
    {
      id: "demo-web-east-3",
      peer: peerIdOfKey(identity),
      node: "web-east-3",
      roles: { reporter: { servers: [serverName("web-east-3")] } },
      issuedAtMs: now,
      expiresAtMs: now + 86_400_000,
    },
    signer,
  );
  writeFileSync(join(dir, "web-east-3.grants"), `${JSON.stringify(grant)}\n`);
  const base = parse(readFileSync(site.servers[0]?.config as string, "utf8")) as Record<string, Record<string, unknown>>;
  const cfg = {
    node: {
      ...base.node,
      name: "web-east-3",
      state_dir: stateDir,
      listen: [`/ip4/${NEW_HOST}/tcp/${PORTS + 30}`],
      grants_file: join(dir, "web-east-3.grants"),
    },
    reporter: { ...base.reporter, server: "web-east-3", status_url: `http://${NEW_HOST}:${s.webPort}/server-status?auto` },
    site: {
      ...(parse(readFileSync(siteFile, "utf8")) as { site: Record<string, unknown> }).site,
      version: 1,
      secret_file: (base.site as Record<string, unknown>).secret_file,
    },
  };
  const file = join(dir, "web-east-3.toml");
  writeFileSync(file, stringify(cfg));
  procs.set("web-east-3", startNode("web-east-3", file));
}

beforeAll(async () => {
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  site = writeSite({ dir, basePort: PORTS, octet: 9 });
  for (const s of site.servers) procs.set(`web:${s.name}`, startWeb(s));
  await Promise.all([...procs.values()].map((p) => p.waitFor(/listening/)));
  for (const n of [...site.areas, ...site.servers]) procs.set(n.name, startNode(n.name, n.config));
  for (const a of site.areas) {
    const home = site.servers
      .filter((s) => s.area === a.name)
      .map((s) => s.host)
      .sort()
      .join();
    await until(`area ${a.name} answering its own cluster`, async () => (await answer(a.name)).join() === home, 40_000, 250);
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
  if (process.env.WALRUS_KEEP_TEST_DIR) console.log(`test site kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

describe("a site document pushed while the site runs", () => {
  test("a new server and a record are answered on every area, never an empty answer, a node down catches up", async () => {
    const file = newSiteFile();
    expect(await shown("west")).toContain("site document version 0");
    const diff = await walrus(["site", "diff", file, "--config", area("east").config]);
    expect(diff.stdout).toContain('+ site.servers.web-east-3.addresses = ["127.0.9.13"]');
    expect(diff.stdout).toContain("+ site.records");

    const old = new Set(site.servers.map((s) => s.host));
    const allowed = new Set([...old, NEW_HOST]);
    const bad: string[] = [];
    let queries = 0;
    const slow: string[] = [];
    let stop = false;
    const client = (async () => {
      while (!stop) {
        for (const a of site.areas) {
          if (a.name === "north") continue; // north is down for part of the change
          const t = performance.now();
          const got = await answer(a.name).catch((e: Error) => [`no reply: ${e.message.split("\n")[0]}`]);
          if (performance.now() - t > 1000) slow.push(`${a.name} ${(performance.now() - t).toFixed(0)} ms`);
          queries++;
          if (got.length === 0 || got.some((ip) => !allowed.has(ip))) bad.push(`${a.name}: ${got.join(" ") || "(empty)"}`);
        }
        await Bun.sleep(100);
      }
    })();

    startNewHost(file);
    await procs.get("north")?.kill("SIGKILL");
    const pushedAt = performance.now();
    const push = await walrus(["site", "push", file, "--key", site.operatorKey as string, "--config", area("east").config]);
    expect(push.stderr + push.stdout).toContain("version 1 pushed");
    expect(push.code).toBe(0);
    await until("west on version 1", async () => (await shown("west")).includes("site document version 1"), 10_000, 100);
    await until("east answering web-east-3", async () => (await answer("east")).includes(NEW_HOST), 20_000, 100);
    const ms = performance.now() - pushedAt;
    const mail = await digA(area("west").dnsPort, "mail.demo.test");
    expect(mail).toEqual(["198.51.100.25"]);

    // north, down during the push, starts on its own file (version 0) and is sent version 1
    procs.set("north", startNode("north", area("north").config));
    await until("north on version 1", async () => (await shown("north")).includes("site document version 1"), 20_000, 250);
    expect(readFileSync(join(area("north").stateDir, "site-document.json"), "utf8")).toContain("web-east-3");
    stop = true;
    await client;
    console.log(`push → east answering the new server: ${ms.toFixed(0)} ms; ${queries} queries, ${bad.length} bad; slow: ${slow.join(", ")}`);
    expect(bad).toEqual([]);
    expect(queries).toBeGreaterThan(3); // the client ran throughout (each dig is a process: slow on a busy machine)
    // nothing restarted: the area nodes that stayed up are the processes started first
    for (const n of ["east", "west"]) expect(procs.get(n)?.proc.exitCode).toBeNull();
  });

  test("a document signed by another key, or a second version 1 with other contents, is refused and counted", async () => {
    const other = join(dir, "other.key");
    expect((await walrus(["keygen", "--operator", "--out", other])).code).toBe(0);
    const file = newSiteFile();
    const text = readFileSync(file, "utf8").replace("198.51.100.25", "198.51.100.26");
    writeFileSync(file, `${text}`);
    const forged = await walrus(["site", "push", file, "--key", other, "--config", area("east").config]);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain("site-unknown-key");
    const conflict = parse(text) as { site: Record<string, unknown> };
    conflict.site.version = 1;
    writeFileSync(file, stringify(conflict));
    const again = await walrus(["site", "push", file, "--key", site.operatorKey as string, "--config", area("east").config]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("not above the node's 1");
    expect(await digA(area("west").dnsPort, "mail.demo.test")).toEqual(["198.51.100.25"]);
  });

  test("SIGHUP reads the node file again: new grants are applied, a changed listen address is named as needing a restart", async () => {
    const west = area("west");
    const text = readFileSync(west.config, "utf8");
    writeFileSync(
      west.config,
      text.replace(/^listen = \["\/ip4\/127\.0\.0\.1\/tcp\/(\d+)"\]/m, (_m, port) => `listen = ["/ip4/127.0.0.1/tcp/${Number(port) + 1000}"]`),
    );
    const grants = join(site.dir, "west.grants");
    writeFileSync(grants, `# re-issued\n${readFileSync(grants, "utf8")}`);
    procs.get("west")?.proc.kill("SIGHUP");
    await procs.get("west")?.waitFor(/SIGHUP: node file read again.*"needsRestart":"node\.listen"/, 10_000);
    expect(procs.get("west")?.proc.exitCode).toBeNull();
    expect((await answer("west")).length).toBeGreaterThan(0);
  });
});
