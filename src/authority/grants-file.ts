// A node's grants file ([node] grants_file): the lines `walrus grant` printed for this node, one
// JSON grant per line ("#" starts a comment). Read once when the config loads; a bad line is a
// config error naming the file and line. Whether a grant holds (key, signature, expiry, peer) is
// judged where it is used, as for anyone else's grants.
import type { ConfigError } from "../core/fields.ts";
import { decodeGrant } from "../net/messages.ts";
import type { Grant } from "../core/types.ts";

export function parseGrantsFile(text: string, file: string): { grants: Grant[]; errors: ConfigError[] } {
  const grants: Grant[] = [];
  const errors: ConfigError[] = [];
  text.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith("#")) return;
    let raw: unknown;
    try {
      raw = JSON.parse(t);
    } catch {
      errors.push({ file, key: `line ${i + 1}`, value: t.slice(0, 60), expected: "one grant as JSON, as `walrus grant` prints it" });
      return;
    }
    const d = decodeGrant(raw);
    if (d.ok) grants.push(d.value);
    else errors.push({ file, key: `line ${i + 1}`, value: t.slice(0, 60), expected: `a grant as \`walrus grant\` prints it (bad field: ${d.reason})` });
  });
  return { grants, errors };
}
