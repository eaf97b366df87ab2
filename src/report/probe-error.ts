// Turns what fetch or a socket threw into the short words a report carries.

export function probeErrorText(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && e.name === "TimeoutError") return `timeout after ${timeoutMs} ms`;
  const code = e instanceof Error && "code" in e ? e.code : undefined;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection reset";
  return errorText(e);
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
