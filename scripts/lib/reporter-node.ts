// One walrus node (the compiled binary) running a reporter for one real web server, plus a
// controller so that `walrus status` shows the server's state. Its log lines are watched so
// that callers wait for the reporter's status changes as events, each stamped when it arrived.

import type { Subprocess } from "bun";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WALRUS } from "./demo-site.ts";

export interface ReporterNodeInit {
  dir: string;
  /** Loopback address and port for the node's libp2p listener. */
  host: string;
  p2pPort: number;
  /** The [reporter] table's lines after `server = ...`: source and its keys. */
  reporterLines: string[];
  reportIntervalMs?: number;
}

export interface StatusEvent {
  status: string;
  reason: string;
  /** performance.now() when the line was read. */
  atMs: number;
}

export interface ReporterNode {
  config: string;
  /** The first status change to `status` read at or after `sinceMs` (performance.now()). */
  statusChange(status: string, sinceMs: number, timeoutMs?: number): Promise<StatusEvent>;
  stop(): Promise<void>;
}

export const SERVER = "web-1";

export function startReporterNode(init: ReporterNodeInit): ReporterNode {
  mkdirSync(init.dir, { recursive: true });
  const secretFile = join(init.dir, "site.secret");
  writeFileSync(secretFile, `${crypto.randomUUID()}${crypto.randomUUID()}\n`, { mode: 0o600 });
  const config = join(init.dir, "node.toml");
  writeFileSync(
    config,
    [
      "[node]",
      'name = "reporter-1"',
      `state_dir = "${join(init.dir, "state")}"`,
      `listen = ["/ip4/${init.host}/tcp/${init.p2pPort}"]`,
      "",
      "[reporter]",
      `server = "${SERVER}"`,
      ...init.reporterLines,
      "",
      "[controller]",
      "",
      "[site]",
      'zone = "reporter.test"',
      'names = ["www"]',
      `report_interval_ms = ${init.reportIntervalMs ?? 1000}`,
      `secret_file = "${secretFile}"`,
      "[site.areas.east]",
      `nameserver_addresses = ["${init.host}"]`,
      `[site.servers.${SERVER}]`,
      'area = "east"',
      `addresses = ["${init.host}"]`,
      "",
    ].join("\n"),
  );
  const proc: Subprocess<"ignore", "ignore", "pipe"> = Bun.spawn([WALRUS, "node", "--config", config], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, WALRUS_LOG_LEVEL: "info" },
  });
  const events: StatusEvent[] = [];
  const waiters = new Set<() => void>();
  let tail = "";
  void (async () => {
    const dec = new TextDecoder();
    let partial = "";
    for await (const chunk of proc.stderr) {
      const atMs = performance.now();
      const lines = (partial + dec.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        tail = `${tail}${line}\n`.slice(-4000);
        const e = statusEventOf(line, atMs);
        if (e) events.push(e);
      }
      for (const w of [...waiters]) w();
    }
  })();

  return {
    config,
    statusChange(status, sinceMs, timeoutMs = 20_000) {
      const found = () => events.find((e) => e.status === status && e.atMs >= sinceMs);
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = found();
          if (!e) return;
          cleanup();
          resolve(e);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no status ${status} within ${timeoutMs} ms; log tail:\n${tail}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** The reporter's "status" log line (JSON, as the node writes it when stderr is not a terminal). */
function statusEventOf(line: string, atMs: number): StatusEvent | undefined {
  if (!line.includes('"status"')) return undefined;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.scope !== "reporter" || o.msg !== "status" || typeof o.status !== "string") return undefined;
    return { status: o.status, reason: typeof o.reason === "string" ? o.reason : "", atMs };
  } catch {
    return undefined;
  }
}
