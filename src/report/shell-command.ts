// An operator's command, run with /bin/sh -c under a time limit (bypass_command,
// content_version_command): how it ended, and the words it left for the reason.

import { errorText } from "./probe-error.ts";

/** Words of the command's output kept in a reason; a report is not a log. */
const REASON_CHARS = 160;
/** How long to wait for output after exit, for a command whose children keep the pipe open. */
const OUTPUT_GRACE_MS = 100;

export type ShellResult = { ok: true; stdout: string } | { ok: false; why: string };

/** `name` is the config key, for the reasons: "bypass_command exited with status 2: …". */
export async function runShell(name: string, command: string, timeoutMs: number, o: { stdout: boolean }): Promise<ShellResult> {
  const startedMs = performance.now();
  let proc: Bun.Subprocess<"ignore", "pipe" | "ignore", "pipe">;
  try {
    proc = Bun.spawn(["/bin/sh", "-c", command], {
      stdin: "ignore",
      stdout: o.stdout ? "pipe" : "ignore",
      stderr: "pipe",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
  } catch (e) {
    return { ok: false, why: `${name} could not start: ${errorText(e)}` };
  }
  const text = (s: ReadableStream<Uint8Array> | number | undefined) => (s instanceof ReadableStream ? new Response(s).text() : Promise.resolve(""));
  const stdout = text(proc.stdout);
  const stderr = text(proc.stderr);
  const code = await proc.exited;
  if (proc.signalCode !== null) {
    const timedOut = performance.now() - startedMs >= timeoutMs;
    return { ok: false, why: timedOut ? `${name} timed out after ${timeoutMs} ms` : `${name} killed by ${proc.signalCode}` };
  }
  const soon = (p: Promise<string>) => Promise.race([p, Bun.sleep(OUTPUT_GRACE_MS).then(() => "")]);
  if (code === 0) return { ok: true, stdout: await soon(stdout) };
  const line = (await soon(stderr)).trim().split("\n").pop()?.trim() ?? "";
  return { ok: false, why: `${name} exited with status ${code}${line ? `: ${shorten(line)}` : ""}` };
}

export const shorten = (s: string) => (s.length > REASON_CHARS ? `${s.slice(0, REASON_CHARS)}…` : s);
