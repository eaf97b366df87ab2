// The Director's "views" layout against real BIND 9 views, in network namespaces: one view per
// area, chosen by the TSIG key (match-clients { key … }), each holding the balanced name itself.
// east (controller, reporter, director) is the only candidate; west only reports.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, ROOT, startProc, until, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { AREAS, labNodeToml, namedOptions, WEB_PORT } from "../../scripts/lib/director-lab.ts";
import { createLab, type Lab } from "../../scripts/lib/netns.ts";
import { needs } from "./needs.ts";

const READY = needs("director-views", { root: true, tools: ["named", "dig", "tsig-keygen", "ip"], files: [WALRUS] });

describe.skipIf(!READY)("director, views layout", () => {
  let lab: Lab;
  let dir: string;
  const procs = new Map<string, Proc>();
  const secrets = new Map<string, string>();
  const addr = (h: string) => lab.address(h);
  const start = (name: string, cmd: string[]) => procs.set(name, startProc(name, ["ip", "netns", "exec", lab.ns(name), ...cmd])).get(name) as Proc;

  /** www.demo.test as the area's view answers it: the query signed with the area's key. */
  async function viewAnswer(area: string): Promise<string[]> {
    const r = await lab.run(
      "east",
      ["dig", `@${addr("bind")}`, "-y", `hmac-sha256:${area}:${secrets.get(area)}`, "www.demo.test", "A", "+short", "+time=2", "+tries=1"],
      { timeoutMs: 10_000 },
    );
    if (r.code !== 0) throw new Error(`dig in view ${area}: exit ${r.code}`);
    return r.stdout
      .split("\n")
      .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l.trim()))
      .sort();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "walrus-dirviews-"));
    lab = await createLab({ prefix: "wdirv", subnet: "10.217.19", hosts: ["bind", ...AREAS, ...AREAS.map((a) => `web-${a}`)] });
    const keys = AREAS.map((a) => {
      const text = Bun.spawnSync(["tsig-keygen", "-a", "hmac-sha256", a]).stdout.toString();
      writeFileSync(join(dir, `${a}.key`), text, { mode: 0o600 });
      secrets.set(a, /secret "([^"]+)"/.exec(text)?.[1] as string);
      writeFileSync(join(dir, `${a}.zone`), `$ORIGIN demo.test.\n$TTL 1\n@ SOA ns hostmaster 1 3600 600 86400 1\n@ NS ns\nns A ${addr("bind")}\n`);
      return text;
    });
    writeFileSync(
      join(dir, "named.conf"),
      `
${keys.join("\n")}
${namedOptions(dir, addr("bind"))}
${AREAS.map((a) => `view "${a}" { match-clients { key "${a}"; }; zone "demo.test" { type primary; file "${join(dir, `${a}.zone`)}"; allow-update { key "${a}"; }; }; };`).join("\n")}
`,
    );
    writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
    for (const a of AREAS) {
      const roles = [
        "[controller]",
        "[director]",
        'layout = "views"',
        ...AREAS.flatMap((v) => [
          "[[director.backends]]",
          `name = "bind-${v}"`,
          `server = "${addr("bind")}:53"`,
          `key_file = "${join(dir, `${v}.key`)}"`,
          `area = "${v}"`,
        ]),
      ];
      writeFileSync(join(dir, `${a}.toml`), labNodeToml(dir, a, addr, a === "east" ? roles : []));
    }
    start("bind", ["named", "-f", "-4", "-c", join(dir, "named.conf")]);
    for (const a of AREAS)
      start(`web-${a}`, [BUN, join(ROOT, "scripts/demo-web.ts"), "--name", `web-${a}`, "--host", addr(`web-${a}`), "--port", String(WEB_PORT)]);
    for (const a of AREAS) start(a, [WALRUS, "node", "--config", join(dir, `${a}.toml`)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...procs.values()].map((p) => p.kill()));
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("each area's view holds the balanced name with its own servers, and follows a failover", async () => {
    for (const a of AREAS)
      await until(`view ${a} to answer its own server`, async () => JSON.stringify(await viewAnswer(a)) === JSON.stringify([addr(`web-${a}`)]), 30_000, 200);
    await procs.get("web-west")?.kill("SIGKILL");
    await until("view west to answer east's server", async () => JSON.stringify(await viewAnswer("west")) === JSON.stringify([addr("web-east")]), 15_000, 100);
    expect(await viewAnswer("east")).toEqual([addr("web-east")]);
  }, 60_000);
});
