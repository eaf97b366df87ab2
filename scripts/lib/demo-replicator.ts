// The demo's Replicator, set up as README "Replicator" tells an operator to: a key pair made with
// ssh-keygen for the replicator, and on every web server a real OpenSSH sshd (run as the user
// running the demo, on the server's loopback address) that authorises it, and a directory of
// releases of its own. One area node gets the [replicator] table and publishes.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProc, WALRUS, type Proc, type SiteLayout } from "./demo-site.ts";

type Server = SiteLayout["servers"][number];

/** Each demo web server's directory of releases: its [replicator.roots] entry and release_root. */
export const releaseRoot = (dir: string, server: string) => join(dir, "www", server);

/** sshd by absolute path (it re-executes itself); /usr/sbin is not on every user's PATH. */
function sshdPath(): string {
  const found = Bun.which("sshd", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` });
  if (!found) throw new Error("sshd is missing: install openssh-server (scripts/ensure-tools.sh sshd)");
  return found;
}

/** The user running the demo (Bun's os.userInfo() says "unknown" when USER is unset). */
const currentUser = () => Bun.spawnSync(["id", "-un"]).stdout.toString().trim();

function keygen(file: string): string {
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "walrus-demo", "-f", file]);
  if (r.exitCode !== 0) throw new Error(`ssh-keygen: ${r.stderr.toString()}`);
  return readFileSync(`${file}.pub`, "utf8").trim();
}

export interface ReplicatorSetup {
  sshPort: number;
  /** Limit on each ssh or rsync step, tries per step, and how often the node resyncs. */
  timeoutMs: number;
  attempts: number;
  resyncMs: number;
}

/**
 * Makes the keys and one sshd config per web server in `<dir>/ssh`, each server's release
 * directory, and appends the [replicator] table to `replicatorConfig`.
 */
export function writeReplicator(site: SiteLayout, replicatorConfig: string, o: ReplicatorSetup): void {
  const sshDir = join(site.dir, "ssh");
  mkdirSync(sshDir, { recursive: true });
  const clientKey = keygen(join(sshDir, "id_ed25519"));
  const hostKey = keygen(join(sshDir, "host_ed25519")).split(" ").slice(0, 2).join(" ");
  writeFileSync(join(sshDir, "authorized_keys"), `${clientKey}\n`, { mode: 0o600 });
  writeFileSync(join(sshDir, "known_hosts"), `${site.servers.map((s) => `[${s.host}]:${o.sshPort}`).join(",")} ${hostKey}\n`);
  for (const s of site.servers) {
    mkdirSync(releaseRoot(site.dir, s.name), { recursive: true });
    writeFileSync(
      sshdConfig(site, s),
      [
        `ListenAddress ${s.host}:${o.sshPort}`,
        `HostKey ${join(sshDir, "host_ed25519")}`,
        `AuthorizedKeysFile ${join(sshDir, "authorized_keys")}`,
        // Not root's own sshd: no pid file to share, no PAM session, keys in the demo directory.
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        // Loopback only: the classic key exchange. The hybrid post-quantum default costs about
        // 0.15 s of CPU per handshake on each side, and the demo's first publish makes six at once
        // while nine nodes start.
        "KexAlgorithms curve25519-sha256",
        "LogLevel INFO",
        "",
      ].join("\n"),
    );
  }
  appendFileSync(
    replicatorConfig,
    [
      "",
      "[replicator]",
      `user = "${currentUser()}"`,
      `port = ${o.sshPort}`,
      `identity_file = "${join(sshDir, "id_ed25519")}"`,
      `known_hosts_file = "${join(sshDir, "known_hosts")}"`,
      `timeout_ms = ${o.timeoutMs}`,
      `attempts = ${o.attempts}`,
      `resync_ms = ${o.resyncMs}`,
      "",
      "[replicator.roots]",
      ...site.servers.map((s) => `${s.name} = "${releaseRoot(site.dir, s.name)}"`),
      "",
    ].join("\n"),
  );
}

const sshdConfig = (site: SiteLayout, s: Server) => join(site.dir, "ssh", `sshd-${s.name}.conf`);

/** Starts the server's sshd in the foreground, logging to stderr ("Server listening on …" once it listens). */
export function startSshd(site: SiteLayout, s: Server): Proc {
  // Run as root, sshd wants its privilege separation directory.
  if (process.getuid?.() === 0 && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  return startProc(`sshd:${s.name}`, [sshdPath(), "-D", "-e", "-f", sshdConfig(site, s)]);
}

export const SSHD_LISTENING = /Server listening on/;

/** The sessions an sshd holds open (its children), such as the connections the replicator keeps. */
export function sessionsOf(sshdPid: number): number[] {
  return Bun.spawnSync(["pgrep", "-P", String(sshdPid)])
    .stdout.toString()
    .split("\n")
    .filter(Boolean)
    .map(Number);
}

/** `walrus publish DIR --message TEXT` with the replicator's config; throws unless every server took it. */
export async function publishRelease(config: string, dir: string, message: string): Promise<string> {
  const p = Bun.spawn([WALRUS, "publish", dir, "--message", message, "--config", config], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if ((await p.exited) !== 0) throw new Error(`walrus publish: ${out}${err}`);
  const id = /^release ([0-9a-f]{16}):/m.exec(out)?.[1];
  if (!id) throw new Error(`walrus publish printed no release: ${out}`);
  return id;
}
