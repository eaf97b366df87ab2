// Consistency of content walrus does not replicate (thesis §9: "any out-of-date server"; a
// database replica's lag): the operator's content_version_command prints the time of the newest
// change this server's content holds, in Unix seconds (e.g. a replica's last replayed
// transaction). The controller compares it with the other servers' (assign/stale.ts).

import { runShell, shorten } from "./shell-command.ts";

/** Unix seconds in this range: a figure outside it is a mistake, not a time (ms printed, or 0). */
const EARLIEST_S = 946_684_800; // 2000-01-01
const LATEST_S = 4_102_444_800; // 2100-01-01

/** The content time in ms since the epoch, or why there is none. */
export async function readContentTime(command: string, timeoutMs: number): Promise<{ ms: number } | { error: string }> {
  const r = await runShell("content_version_command", command, timeoutMs, { stdout: true });
  if (!r.ok) return { error: r.why };
  return parseContentTime(r.stdout);
}

/** The first line of the command's output: Unix seconds, a fraction allowed. Pure. */
export function parseContentTime(stdout: string): { ms: number } | { error: string } {
  const line = stdout.trim().split("\n")[0]?.trim() ?? "";
  const s = /^\d+(\.\d+)?$/.test(line) ? Number(line) : Number.NaN;
  if (!(s >= EARLIEST_S && s < LATEST_S))
    return {
      error: `content_version_command printed "${shorten(line)}": expected the time of the newest change, in Unix seconds (such as ${EARLIEST_S + 800_000_000})`,
    };
  return { ms: Math.round(s * 1000) };
}
