// What an integration suite needs from the machine. Under `npm test` (which installs the tools
// first) and in CI a missing tool is an error naming it, never a silently skipped suite; a plain
// `bun test` on a machine without them skips the suite and says so in one line at the end.

import { existsSync } from "node:fs";

const strict = process.env.WALRUS_TEST_STRICT === "1" || process.env.CI === "true";
const skipped: string[] = [];

const found = (tool: string) => !!(Bun.which(tool) ?? Bun.which(`/usr/sbin/${tool}`));

/** True when the machine has what `suite` needs; otherwise throws (strict) or records a skip. */
export function needs(suite: string, o: { tools?: readonly string[]; root?: boolean; files?: readonly string[] }): boolean {
  const missing = [
    ...(o.root && process.getuid?.() !== 0 ? ["root (it builds network namespaces)"] : []),
    ...(o.tools ?? []).filter((t) => !found(t)).map((t) => `\`${t}\``),
    ...(o.files ?? []).filter((f) => !existsSync(f)).map((f) => `${f} (npm run build)`),
  ];
  if (missing.length === 0) return true;
  if (strict) throw new Error(`${suite}: missing ${missing.join(", ")}; npm test installs the tools (scripts/ensure-tools.sh)`);
  if (skipped.length === 0) process.on("exit", () => console.warn(`skipped, this machine lacks what they need: ${skipped.join("; ")}`));
  skipped.push(`${suite} (${missing.join(", ")})`);
  return false;
}
