// scripts/install.sh into a staging root (no user, no systemctl), and the systemd unit as
// systemd itself reads it.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, WALRUS } from "../../scripts/lib/demo-site.ts";

const root = mkdtempSync(join(tmpdir(), "walrus-ops-install-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const install = (...args: string[]) => {
  const p = Bun.spawnSync(["bash", join(ROOT, "scripts/install.sh"), ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};
const mode = (p: string) => (statSync(join(root, p)).mode & 0o777).toString(8);

test("installs the binary, private directories, a config template, a secret and the unit; a rerun keeps config and secret", () => {
  const r = install("--binary", WALRUS, "--root", root, "--keygen");
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(mode("usr/local/bin/walrus")).toBe("755");
  expect(mode("etc/walrus")).toBe("750");
  expect(mode("var/lib/walrus")).toBe("700");
  expect(mode("etc/walrus/site.secret")).toBe("640");
  expect(readFileSync(join(root, "etc/walrus/site.secret"), "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
  expect(readFileSync(join(root, "etc/walrus/node.toml"), "utf8")).toBe(readFileSync(join(ROOT, "config.example.toml"), "utf8"));
  expect(existsSync(join(root, "etc/systemd/system/walrus.service"))).toBe(true);
  expect(r.out).toContain("systemctl enable --now walrus");

  writeFileSync(join(root, "etc/walrus/node.toml"), "# edited by the operator\n");
  const secret = readFileSync(join(root, "etc/walrus/site.secret"), "utf8");
  const again = install("--binary", WALRUS, "--root", root, "--keygen");
  expect(again.code).toBe(0);
  expect(readFileSync(join(root, "etc/walrus/node.toml"), "utf8")).toBe("# edited by the operator\n");
  expect(readFileSync(join(root, "etc/walrus/site.secret"), "utf8")).toBe(secret);
});

test("a missing binary is refused with what to do", () => {
  const r = install("--binary", join(root, "nope"), "--root", root);
  expect(r.code).toBe(1);
  expect(r.err).toContain("npm ci && npm run build");
});

test("systemd accepts the unit: unprivileged user, port 53 capability only", () => {
  const unit = readFileSync(join(root, "etc/systemd/system/walrus.service"), "utf8");
  expect(unit).toMatch(/^User=walrus$/m);
  expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  expect(unit).toMatch(/^StateDirectory=walrus$/m);
  // systemd-analyze checks every directive; point it at the staged binary so it exists.
  const staged = join(root, "walrus.service");
  writeFileSync(staged, unit.replaceAll("/usr/local/bin/walrus", join(root, "usr/local/bin/walrus")));
  const v = Bun.spawnSync(["systemd-analyze", "verify", staged], { stdout: "pipe", stderr: "pipe" });
  expect(v.stderr.toString()).toBe("");
  expect(v.exitCode).toBe(0);
});
