// The operator's side of grants with the real binary: make the operator key, learn a node's
// peer id, grant it its roles, run it, revoke the grant, and see every step in `walrus status`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProc, until, walrus, WALRUS, type Proc } from "../../scripts/lib/demo-site.ts";
import { portBlock } from "../../scripts/lib/ports.ts";
import type { StatusReport } from "../../src/ops/status.ts";
import { needs } from "./needs.ts";

const READY = needs("authority-cli", { files: [WALRUS] });
const PORTS = await portBlock();

describe.skipIf(!READY)("walrus keygen --operator, id, grant, revoke", () => {
  const dir = mkdtempSync(join(tmpdir(), "walrus-grants-"));
  const key = join(dir, "operator.key");
  const config = join(dir, "east.toml");
  let node: Proc | undefined;
  let grantId = "";

  const status = async (): Promise<StatusReport> => {
    const r = await walrus(["status", "--json", "--config", config]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as StatusReport;
  };

  beforeAll(() => writeFileSync(join(dir, "site.secret"), `${crypto.randomUUID()}${crypto.randomUUID()}\n`));
  afterAll(async () => {
    await node?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("keygen --operator writes a private key no one else can read, prints the public key, and never overwrites", async () => {
    const r = await walrus(["keygen", "--operator", "--out", key]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const again = await walrus(["keygen", "--operator", "--out", key]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("never overwritten");
    writeFileSync(
      config,
      [
        "[node]",
        'name = "east"',
        `state_dir = "${join(dir, "state")}"`,
        `listen = ["/ip4/127.0.0.1/tcp/${PORTS}"]`,
        `operator_keys = ["${r.stdout.trim()}"]`,
        `grants_file = "${join(dir, "east.grants")}"`,
        "[controller]",
        "priority = 10",
        "[nameserver]",
        'area = "east"',
        `listen = ["127.0.0.1:${PORTS + 1}"]`,
        "[site]",
        'zone = "example.test"',
        'names = ["www"]',
        `secret_file = "${join(dir, "site.secret")}"`,
        "[site.areas.east]",
        'nameserver_addresses = ["127.0.0.1"]',
        "[site.servers.web-1]",
        'area = "east"',
        'addresses = ["192.0.2.1"]',
      ].join("\n"),
    );
  });

  test("id prints the node's peer id before it has a grant; grant signs exactly the roles asked", async () => {
    const id = await walrus(["id", "--config", config]);
    expect(id.code).toBe(0);
    const peer = id.stdout.trim();
    expect(peer).toMatch(/^12D3KooW\w+$/);
    expect((await walrus(["id", "--config", config])).stdout.trim()).toBe(peer); // the same identity next time
    expect((await walrus(["grant", "--key", key, "--peer", "not-a-peer", "--node", "east", "--drain"])).stderr).toContain("is not a peer id");
    expect((await walrus(["grant", "--key", key, "--peer", peer, "--node", "east"])).stderr).toContain("grants nothing");
    const g = await walrus(["grant", "--key", key, "--peer", peer, "--node", "east", "--controller", "10", "--nameserver", "east", "--drain", "--days", "30"]);
    expect(g.code).toBe(0);
    expect(g.stderr).toContain("may be: controller at priority 10; nameserver of east; drain and undrain servers");
    grantId = (JSON.parse(g.stdout) as { id: string }).id;
    writeFileSync(join(dir, "east.grants"), `# east, granted for 30 days\n${g.stdout}`);
    expect((await walrus(["config", "check", "--config", config])).code).toBe(0);
  });

  test("the running node presents its grant; a revocation with another key is refused; the operator's takes effect and survives a restart", async () => {
    node = startProc("east", [WALRUS, "node", "--config", config]);
    await until(
      "east granted and master",
      async () => {
        const s = await status();
        return (
          s.authority.mode === "grants" &&
          s.master?.self === true &&
          (s.members.find((m) => m.node === "east")?.granted ?? "").includes("controller at priority 10")
        );
      },
      20_000,
      200,
    );
    const otherKey = join(dir, "other.key");
    await walrus(["keygen", "--operator", "--out", otherKey]);
    const forged = await walrus(["revoke", "--key", otherKey, "--grant", grantId, "--config", config]);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain("revocation-unknown-key");
    const r = await walrus(["revoke", "--key", key, "--grant", grantId, "--reason", "host retired", "--config", config]);
    expect(r.code).toBe(0);
    await until(
      "the grant revoked and no longer counted",
      async () => {
        const s = await status();
        return s.authority.revoked.includes(grantId) && s.members.find((m) => m.node === "east")?.granted === "nothing" && s.master === null;
      },
      10_000,
      200,
    );
    await node.kill("SIGTERM");
    node = startProc("east", [WALRUS, "node", "--config", config]);
    await until("still revoked after a restart", async () => (await status()).authority.revoked.includes(grantId), 20_000, 200);
    expect((await status()).master).toBeNull();
  }, 60_000);
});
