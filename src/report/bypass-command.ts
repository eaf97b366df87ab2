// The operator's own health check (§5.3 BYPASS: "the Reporter knows something crucial that
// cannot be told through the usual statistics"): a command run with /bin/sh -c at every
// collection. Exit 0 means fine; anything else, a timeout included, asks for BYPASS.

import { errorText } from "./probe-error.ts";

/** Words of the command's stderr kept in the reason; a report is not a log. */
const REASON_CHARS = 160;
/** How long to wait for stderr after exit, for a command whose children keep the pipe open. */
const STDERR_GRACE_MS = 100;

/** Undefined when the command succeeded; otherwise why it did not. */
export async function runBypassCommand(command: string, timeoutMs: number): Promise<string | undefined> {
  const startedMs = performance.now();
  let proc: ReturnType<typeof spawn>;
  try {
    proc = spawn(command, timeoutMs);
  } catch (e) {
    return `bypass_command could not start: ${errorText(e)}`;
  }
  const stderr = new Response(proc.stderr).text();
  const code = await proc.exited;
  if (code === 0) return undefined;
  if (proc.signalCode !== null) {
    const timedOut = performance.now() - startedMs >= timeoutMs;
    return timedOut ? `bypass_command timed out after ${timeoutMs} ms` : `bypass_command killed by ${proc.signalCode}`;
  }
  const said = await Promise.race([stderr, Bun.sleep(STDERR_GRACE_MS).then(() => "")]);
  const line = said.trim().split("\n").pop()?.trim() ?? "";
  const shown = line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS)}…` : line;
  return `bypass_command exited with status ${code}${shown ? `: ${shown}` : ""}`;
}

function spawn(command: string, timeoutMs: number) {
  return Bun.spawn(["/bin/sh", "-c", command], { stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL" });
}
