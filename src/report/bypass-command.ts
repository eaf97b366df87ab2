// The operator's own health check (§5.3 BYPASS: "the Reporter knows something crucial that
// cannot be told through the usual statistics"): a command run with /bin/sh -c at every
// collection. Exit 0 means fine; anything else, a timeout included, asks for BYPASS.

import { runShell } from "./shell-command.ts";

/** Undefined when the command succeeded; otherwise why it did not. */
export async function runBypassCommand(command: string, timeoutMs: number): Promise<string | undefined> {
  const r = await runShell("bypass_command", command, timeoutMs, { stdout: false });
  return r.ok ? undefined : r.why;
}
