// The §5.3 special replies, decided from one collection and what earlier probes saw.
//
// Rules, strongest first:
//   PANIC    the web server has looked down (refused, reset, timed out, 5xx, or a probe's
//            unexpected answer) for `fallCount` consecutive probes. It stays PANIC until
//            `riseCount` consecutive good probes, so a flapping server does not page a human
//            over and over. The reason names the last error.
//   BYPASS   memory was paged out to swap during the interval (the BSD reporter's rule in §5.3:
//            a box that is swapping serves slowly however idle its figures look), or the
//            operator's bypass_command failed or timed out. An operator's drain is the other
//            BYPASS: it is a forced state the controller keeps beside this one (`walrus drain`).
//   TEMPFAIL no full interval measured yet (start-up), /proc or cgroup files unreadable, the
//            status page fetched but unreadable, or the web server failed fewer than
//            `fallCount` times in a row. The controller then reuses the last OK figures for up
//            to site.tempfail_reuse_ms.
//   OK       otherwise.
// A page that was fetched but did not parse is neither a failure nor a good probe: the server
// answered, so it breaks a run of failures, but it proves nothing toward recovery.

import type { ReportStatus } from "../core/types.ts";
import type { Collection } from "./collect.ts";

export interface VerdictRules {
  /** Consecutive failed probes before PANIC. */
  fallCount: number;
  /** Consecutive good probes before PANIC clears. */
  riseCount: number;
}

export interface VerdictMemory {
  failures: number;
  successes: number;
  /** PANIC is latched until `riseCount` good probes. */
  down: boolean;
  /** The web error that last counted as a failure, named while PANIC lasts. */
  lastError?: string;
  /** A full interval of host figures has been measured at least once. */
  measured: boolean;
}

export interface Verdict {
  memory: VerdictMemory;
  status: ReportStatus;
  reason?: string;
}

export function initialVerdict(): VerdictMemory {
  return { failures: 0, successes: 0, down: false, measured: false };
}

export function judge(mem: VerdictMemory, c: Collection, rules: VerdictRules): Verdict {
  const web = c.web;
  const good = web.state === "up";
  const failures = web.state === "down" ? mem.failures + 1 : 0;
  const successes = good ? mem.successes + 1 : 0;
  const lastError = web.state === "down" ? web.error : mem.lastError;
  const down = mem.down ? successes < rules.riseCount : failures >= rules.fallCount;
  const memory: VerdictMemory = {
    failures,
    successes,
    down,
    measured: mem.measured || c.host !== null,
    ...(lastError !== undefined && { lastError }),
  };
  const say = (status: ReportStatus, reason?: string): Verdict => ({
    memory,
    status,
    ...(reason !== undefined && { reason }),
  });

  if (down) {
    const why = `web server down: ${lastError ?? "unknown error"}`;
    return say("panic", good ? `${why} (recovering, ${successes}/${rules.riseCount} good probes)` : why);
  }
  if (c.host !== null && c.host.pagedOutBytes > 0) {
    return say("bypass", `paged out ${c.host.pagedOutBytes} bytes in ${Math.round(c.host.durationMs / 1000)} s`);
  }
  if (c.bypassError !== undefined) return say("bypass", c.bypassError);
  if (c.host === null) {
    const when = memory.measured ? "host" : "starting";
    return say("tempfail", `${when}: ${c.hostError ?? "no full interval measured yet"}`);
  }
  if (web.state === "down") return say("tempfail", `web: ${web.error} (${failures}/${rules.fallCount} failed probes)`);
  if (web.state === "unreadable") return say("tempfail", `web: ${web.error}`);
  return say("ok");
}
