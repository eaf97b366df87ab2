// What a web server's release directory holds, parsed from the output of the inspect and list
// commands run over ssh. The output is untrusted text: anything unexpected is a problem, never
// a throw, and what is removed or switched to is always one of our own release names.
import { createHash } from "node:crypto";
import { isReleaseId, type Manifest, type ReleaseId } from "./manifest.ts";

export const PARTIAL_PREFIX = ".partial-";

export interface RemoteState {
  /** The release `current` points to, if it points to one of ours. */
  current?: ReleaseId;
  releases: ReleaseId[];
  /** Staging directories left by a push that was cut off. */
  partials: string[];
}

/** Parses lines "current releases/<id>" and "entry <name>" (see inspectScript). */
export function parseInspect(text: string): { ok: true; state: RemoteState } | { ok: false; error: string } {
  const state: RemoteState = { releases: [], partials: [] };
  let sawCurrent = false;
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (!l) continue;
    const [tag, value = ""] = [l.slice(0, l.indexOf(" ") < 0 ? l.length : l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)];
    if (tag === "current") {
      sawCurrent = true;
      const id = /^releases\/([0-9a-f]+)$/.exec(value)?.[1];
      if (id !== undefined && isReleaseId(id)) state.current = id;
    } else if (tag === "entry") {
      if (isReleaseId(value)) state.releases.push(value);
      else if (value.startsWith(PARTIAL_PREFIX) && isReleaseId(value.slice(PARTIAL_PREFIX.length))) state.partials.push(value);
    } else return { ok: false, error: `unexpected line from the server: ${JSON.stringify(l.slice(0, 80))}` };
  }
  return sawCurrent ? { ok: true, state } : { ok: false, error: "no answer from the inspect command" };
}

/** Release directories to remove after a switch: ours, neither kept nor current, and stale partials. */
export function toPrune(state: RemoteState, keep: ReadonlySet<string>, switchedTo: ReleaseId): string[] {
  return [
    ...state.releases.filter((id) => id !== switchedTo && id !== state.current && !keep.has(id)),
    ...state.partials.filter((p) => p !== `${PARTIAL_PREFIX}${switchedTo}`),
  ];
}

/**
 * Compares a staged copy with the manifest. `listing` is find's output of records
 * "<type> <size> <path>\0<link target>\0" (type f, d or l). Returns what differs, empty when whole.
 */
export function compareListing(manifest: Manifest, listing: string): string[] {
  const fields = listing.split("\0");
  const seen = new Map<string, { type: string; size: number; target: string }>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^([a-z]) (\d+) (.*)$/s.exec(fields[i] ?? "");
    if (!m) return [`unreadable listing record ${JSON.stringify((fields[i] ?? "").slice(0, 80))}`];
    seen.set(m[3] ?? "", { type: m[1] ?? "", size: Number(m[2]), target: fields[i + 1] ?? "" });
  }
  const problems: string[] = [];
  for (const e of manifest.entries) {
    const got = seen.get(e.path);
    seen.delete(e.path);
    if (!got) problems.push(`${e.path}: missing`);
    else if (e.kind === "file" && (got.type !== "f" || got.size !== e.size))
      problems.push(`${e.path}: ${got.type === "f" ? `${got.size} bytes, expected ${e.size}` : "not a file"}`);
    else if (e.kind === "dir" && got.type !== "d") problems.push(`${e.path}: not a directory`);
    else if (e.kind === "link" && (got.type !== "l" || got.target !== e.target)) problems.push(`${e.path}: not a link to ${e.target}`);
  }
  for (const path of seen.keys()) problems.push(`${path}: not in the release`);
  return problems.slice(0, 10);
}

/**
 * find's expression printing one record per entry of a staged copy, each ended by NUL: "f <size>
 * <path>", "d <path>", "l <target length> <target> <path>" (the length tells target from path),
 * "? <path>" for anything else. Sorted bytewise and hashed, it gives listingDigest's value when
 * the copy is whole: the server checks the copy itself, in the command that switches it.
 */
export const DIGEST_FIND = `\\( -type f -printf 'f %s %P\\0' \\) -o \\( -type d -printf 'd %P\\0' \\) -o \\( -type l -printf 'l %s %l %P\\0' \\) -o -printf '? %P\\0'`;

/** SHA-256 (hex) of the manifest's records in DIGEST_FIND's form, sorted as `LC_ALL=C sort -z` does. */
export function listingDigest(m: Manifest): string {
  const records = m.entries.map((e) =>
    Buffer.from(e.kind === "file" ? `f ${e.size} ${e.path}` : e.kind === "dir" ? `d ${e.path}` : `l ${Buffer.byteLength(e.target)} ${e.target} ${e.path}`),
  );
  records.sort(Buffer.compare);
  const hash = createHash("sha256");
  for (const r of records) hash.update(Buffer.concat([r, Buffer.from([0])]));
  return hash.digest("hex");
}
