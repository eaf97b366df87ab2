// The edge of the replicator: ssh and rsync against one web server. Each step is one process with
// a time limit; its failure comes back as an error text (the last lines rsync or ssh printed),
// never a throw.
import { spawn } from "bun";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ReplicatorConfig } from "../replicate/config.ts";
import type { ReleaseId } from "./manifest.ts";
import { DIGEST_FIND, parseInspect, PARTIAL_PREFIX, type RemoteState } from "./remote-state.ts";

export type Step<T> = { ok: true; value: T } | { ok: false; error: string };

/** The exit code of verifyAndSwitch's check when the copy differs (ssh's own is 255). */
const DIFFERS_EXIT = 86;
/** rsync accepts at most 20 --link-dest directories. */
const MAX_LINK_DESTS = 20;
/**
 * ssh's connect limit; how long a connection to a server stays open after its last use, so the
 * next publish (or the node's resync) skips the handshake, about 0.5 s of CPU on a loaded
 * machine; and how long a command on a kept connection may take to answer before the connection
 * is taken for dead (its server stopped or cut off since) and a new one is made.
 */
const SSH = { connectTimeoutS: 10, controlPersistS: 300, keptAnswerMs: 10_000 } as const;

export interface Target {
  server: string;
  host: string;
  /** Its directory of releases and the `current` link. */
  root: string;
}

/**
 * The control socket of the connection to one server, in the replicator's state directory
 * (mode 0700: whoever can reach the socket can run commands on the server). Named by a short
 * digest, as a socket path is limited to about 100 bytes.
 */
const controlPath = (cfg: ReplicatorConfig, controlDir: string, t: Target) =>
  join(controlDir, `ssh-${createHash("sha256").update(`${cfg.user}@${t.host}:${cfg.port}`).digest("hex").slice(0, 16)}`);

function sshOptions(cfg: ReplicatorConfig, control: string): string[] {
  return [
    // Every step shares one connection per server: the first one opens it and leaves it in the
    // background (ControlPersist); the others, and the next publish's, go through it.
    "-o",
    `ControlPath=${control}`,
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPersist=${SSH.controlPersistS}`,
    "-p",
    String(cfg.port),
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${SSH.connectTimeoutS}`,
    // A kept connection whose server stopped answering ends after 15 s.
    "-o",
    "ServerAliveInterval=5",
    ...(cfg.identityFile ? ["-i", cfg.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    ...(cfg.knownHostsFile ? ["-o", `UserKnownHostsFile=${cfg.knownHostsFile}`, "-o", "StrictHostKeyChecking=yes"] : []),
  ];
}

const login = (cfg: ReplicatorConfig, t: Target) => `${cfg.user}@${t.host.includes(":") ? `[${t.host}]` : t.host}`;

async function run(cmd: string[], timeoutMs: number): Promise<Ran> {
  const p = spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    p.kill("SIGKILL");
  }, timeoutMs);
  const output = Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  clearTimeout(timer);
  // ssh hands its output pipes to the kept connection's process, which holds them until its
  // server answers or the connection ends (15 s): a command killed for its time limit is not
  // waited for any longer.
  const [stdout, stderr] = timedOut ? ((await Promise.race([output, Bun.sleep(100)])) ?? ["", ""]) : await output;
  return { code, signal: typeof p.signalCode === "string" ? p.signalCode : undefined, stdout, stderr, timedOut };
}

interface Ran {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The first and the last line a failed tool printed: rsync names the cause first (a write
 * failed: no space left) and the protocol error it led to last. */
function said(text: string): string {
  const lines = text.trim().split("\n").filter(Boolean);
  return [...new Set([lines[0], lines.at(-1)])].filter(Boolean).join("; ");
}

/** `late` says what a step cut off by its time limit lacked: an answer (a connection), or an end. */
function failure(what: string, r: Ran, timeoutMs: number, late = "no end"): { ok: false; error: string } {
  if (r.timedOut) return { ok: false, error: `${what}: ${late} within ${timeoutMs} ms` };
  const text = said(r.stderr);
  return { ok: false, error: `${what} failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`})${text ? `: ${text}` : ""}` };
}

/** Where a release is staged: its own directory when the server has it, else a partial one. */
export const stageDir = (state: RemoteState, id: ReleaseId) => (state.releases.includes(id) ? id : `${PARTIAL_PREFIX}${id}`);

export type Remote = ReturnType<typeof remoteFor>;

/** The steps against the web servers, over ssh connections kept in `controlDir`. */
export function remoteFor(cfg: ReplicatorConfig, controlDir: string) {
  const options = (t: Target) => sshOptions(cfg, controlPath(cfg, controlDir, t));

  /** Ends the kept connection to the server, if there is one. */
  async function close(t: Target): Promise<void> {
    await run(["ssh", ...options(t), "-O", "exit", login(cfg, t)], 5000);
  }

  async function ssh(t: Target, what: string, script: string): Promise<Step<string>> {
    const r = await run(["ssh", ...options(t), login(cfg, t), script], cfg.timeoutMs);
    return r.code === 0 && !r.timedOut ? { ok: true, value: r.stdout } : failure(what, r, cfg.timeoutMs);
  }

  /**
   * Connects (or reuses the kept connection), makes the release directory if needed and says
   * what it holds. A kept connection that fails (ssh's own exit code, 255) or does not answer is
   * ended and the step made once more on a new one, whose error is the one given.
   */
  async function inspect(t: Target): Promise<Step<RemoteState>> {
    const cmd = [
      "ssh",
      ...options(t),
      login(cfg, t),
      `mkdir -p ${t.root}/releases && cd ${t.root}/releases && echo "current $(readlink ../current)" && for n in * .partial-*; do [ -d "$n" ] && echo "entry $n"; done; true`,
    ];
    const kept = existsSync(controlPath(cfg, controlDir, t));
    let timeoutMs = kept ? Math.min(cfg.timeoutMs, SSH.keptAnswerMs) : cfg.timeoutMs;
    let r = await run(cmd, timeoutMs);
    if (kept && (r.timedOut || r.code === 255)) {
      await close(t);
      timeoutMs = cfg.timeoutMs;
      r = await run(cmd, timeoutMs);
    }
    if (r.code !== 0 || r.timedOut) return failure(`ssh to ${t.host}`, r, timeoutMs, "no answer");
    const parsed = parseInspect(r.stdout);
    return parsed.ok ? { ok: true, value: parsed.state } : { ok: false, error: parsed.error };
  }

  /**
   * Copies the tree into releases/<stage>/ with rsync over ssh, hard-linking files unchanged
   * since a release the server keeps (the current one first). Returns the bytes rsync sent.
   */
  async function stage(t: Target, dir: string, state: RemoteState, id: ReleaseId): Promise<Step<number>> {
    const linkDests = [...(state.current ? [state.current] : []), ...state.releases.filter((r) => r !== state.current && r !== id)].slice(0, MAX_LINK_DESTS);
    const shell = ["ssh", ...options(t)].map((a) => `'${a}'`).join(" ");
    const cmd = [
      "rsync",
      "-a",
      // rsync's quick check (size and mtime) would otherwise compare whole seconds: a file
      // rewritten at its old size within the same second would be hard-linked from the previous
      // release and never sent. Nanosecond mtimes tell the two apart.
      "--modify-window=-1",
      "--delete",
      "--stats",
      ...linkDests.map((r) => `--link-dest=${t.root}/releases/${r}`),
      "-e",
      shell,
      `${dir.replace(/\/+$/, "")}/`,
      `${login(cfg, t)}:${t.root}/releases/${stageDir(state, id)}/`,
    ];
    const r = await run(cmd, cfg.timeoutMs);
    if (r.code !== 0 || r.timedOut) return failure("rsync", r, cfg.timeoutMs);
    const sent = /Total bytes sent: ([\d,.]+)/.exec(r.stdout)?.[1]?.replace(/[,.]/g, "");
    return { ok: true, value: sent ? Number(sent) : 0 };
  }

  /** find's listing of a staged release, in the form compareListing reads. */
  function listStaged(t: Target, stageName: string): Promise<Step<string>> {
    return ssh(t, "listing the staged release", `cd ${t.root}/releases/${stageName} && find . -mindepth 1 -printf '%y %s %P\\0%l\\0'`);
  }

  /**
   * The commands that make the staged copy the release, point `current` at it by renaming a new
   * link over the old one (a reader sees the old release or the new one, never neither), then
   * remove `prune`.
   */
  const switchScript = (t: Target, id: ReleaseId, prune: string[]) =>
    [
      `cd ${t.root}/releases`,
      `if [ -d ${PARTIAL_PREFIX}${id} ]; then mv -T ${PARTIAL_PREFIX}${id} ${id}; fi`,
      `[ -d ${id} ]`,
      `ln -sfn releases/${id} ../.current-new`,
      `mv -T ../.current-new ../current`,
      `sync ..`,
      ...(prune.length ? [`rm -rf -- ${prune.join(" ")}`] : []),
    ].join(" && ");

  function switchTo(t: Target, id: ReleaseId, prune: string[]): Promise<Step<string>> {
    return ssh(t, "switching current", switchScript(t, id, prune));
  }

  /**
   * Checks the staged copy against the release's listing digest and, when they agree, switches
   * to it, in one command. `differs` when they do not (nothing switched): listStaged then says how.
   */
  async function verifyAndSwitch(
    t: Target,
    stageName: string,
    id: ReleaseId,
    digest: string,
    prune: string[],
  ): Promise<Step<void> | { ok: false; differs: true }> {
    const check = `cd ${t.root}/releases/${stageName} && [ "$(find . -mindepth 1 ${DIGEST_FIND} | LC_ALL=C sort -z | sha256sum)" = "${digest}  -" ] || exit ${DIFFERS_EXIT}`;
    const r = await run(["ssh", ...options(t), login(cfg, t), `${check}; ${switchScript(t, id, prune)}`], cfg.timeoutMs);
    if (r.code === DIFFERS_EXIT && !r.timedOut) return { ok: false, differs: true };
    return r.code === 0 && !r.timedOut ? { ok: true, value: undefined } : failure("switching current", r, cfg.timeoutMs);
  }

  /** Removes what a failed push left staged, so a full disk is freed again. Best effort. */
  async function discardPartial(t: Target, id: ReleaseId): Promise<void> {
    await ssh(t, "cleanup", `rm -rf -- ${t.root}/releases/${PARTIAL_PREFIX}${id}`);
  }

  /**
   * Keeps the connection to the server open: one empty command through it (opening it when it
   * is gone), which also restarts its ControlPersist time. The node does this for every server,
   * so a publish finds its connections made; a failure is left for the publish to report.
   */
  async function warm(t: Target): Promise<boolean> {
    const r = await run(["ssh", ...options(t), login(cfg, t), "true"], Math.min(cfg.timeoutMs, SSH.keptAnswerMs));
    return r.code === 0 && !r.timedOut;
  }

  return { close, inspect, stage, listStaged, switchTo, verifyAndSwitch, discardPartial, warm };
}
