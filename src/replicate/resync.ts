// The replicator node's resync (thesis §4: the primary keeps every backup the same): a web server
// that reports a release other than the current one — a server new to the site, one cut off
// during a publish, one restored from an old backup — is brought over without waiting for the
// next publish. Reports say who is behind, so nothing is polled over ssh. Each server's failures
// back off (1 s doubling to 30 s); while a publish or rollback holds the lock, the turn waits.
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { ServerName, ServerState, SiteRelease } from "../core/types.ts";
import { retryDelayMs } from "./history.ts";
import type { ReplicateResult } from "./publish.ts";

export interface ServerRelease {
  name: ServerName;
  state: ServerState;
  /** The release its reporter says it serves; undefined when the reporter does not read it. */
  release?: string;
  /** When that report arrived (this node's clock, as the release's sinceMs). */
  receivedAtMs?: number;
}

/**
 * The reporting servers on another release than the current one. A dead server is left until it
 * reports again; so is one whose last report arrived before the switch (it could not show it yet:
 * right after a publish, every server until its next report).
 */
export function behindCurrent(servers: readonly ServerRelease[], current: SiteRelease | undefined): ServerName[] {
  if (!current) return [];
  return servers
    .filter((s) => s.state !== "dead" && s.state !== "unknown" && s.release !== undefined && s.release !== current.id)
    .filter((s) => s.receivedAtMs === undefined || s.receivedAtMs >= current.sinceMs)
    .map((s) => s.name);
}

/** Per server: failures in a row, the last one's error, and when the next try is due. */
export type Backoff = ReadonlyMap<ServerName, { failures: number; error: string; nextAtMs: number }>;

export const dueNow = (behind: readonly ServerName[], backoff: Backoff, nowMs: number): ServerName[] =>
  behind.filter((s) => (backoff.get(s)?.nextAtMs ?? 0) <= nowMs);

/** The backoff after a turn: a server brought over is forgotten, a failed one waits longer. */
export function afterTurn(backoff: Backoff, tried: readonly ServerName[], result: ReplicateResult, nowMs: number): Backoff {
  const next = new Map(backoff);
  for (const s of tried) {
    const outcome = result.servers.find((o) => o.server === s);
    if (outcome && !outcome.error) next.delete(s);
    else {
      const failures = (backoff.get(s)?.failures ?? 0) + 1;
      next.set(s, { failures, error: outcome?.error ?? result.error ?? "not tried", nextAtMs: nowMs + retryDelayMs(failures) });
    }
  }
  return next;
}

export interface ResyncInit {
  everyMs: number;
  timers: Timers;
  clock: Clock;
  log: Logger;
  behind: () => readonly ServerName[];
  resync: (servers: readonly ServerName[]) => Promise<ReplicateResult>;
}

/** A server the resync has not brought over yet: what `walrus status` and /metrics show. */
export interface ResyncFailure {
  server: ServerName;
  failures: number;
  error: string;
  retryInMs: number;
}

export interface Resync {
  /** The servers behind whose last try failed, worst first. */
  failing(): ResyncFailure[];
  /** Stops the turns (a turn under way finishes on its own). */
  stop(): void;
}

export function startResync(init: ResyncInit): Resync {
  let backoff: Backoff = new Map();
  let running = false;
  const turn = async () => {
    const due = dueNow(init.behind(), backoff, init.clock());
    if (running || due.length === 0) return;
    running = true;
    try {
      const r = await init.resync(due);
      if (r.busy) return; // a publish brings them over itself
      if (r.error && r.servers.length === 0) {
        // Nothing was tried: no release from a tree here, or the tree changed since.
        init.log.warn("cannot bring servers onto the current release", { servers: due, error: r.error });
        backoff = afterTurn(backoff, due, r, init.clock());
        return;
      }
      backoff = afterTurn(backoff, due, r, init.clock());
      for (const o of r.servers)
        if (o.error)
          init.log.warn("resync failed", { server: o.server, error: o.error, retryInMs: (backoff.get(o.server as ServerName)?.nextAtMs ?? 0) - init.clock() });
        else init.log.info("server brought onto the current release", { server: o.server, from: o.before ?? "none", release: o.now });
    } finally {
      running = false;
    }
  };
  const stop = init.timers.every(init.everyMs, () => void turn());
  return {
    failing: () => {
      const behind = new Set(init.behind());
      return [...backoff]
        .filter(([server]) => behind.has(server))
        .map(([server, b]) => ({ server, failures: b.failures, error: b.error, retryInMs: Math.max(0, b.nextAtMs - init.clock()) }))
        .sort((a, b) => b.failures - a.failures || a.server.localeCompare(b.server));
    },
    stop,
  };
}
