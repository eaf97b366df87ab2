// Pure parser of Apache mod_status machine-readable output (`/server-status?auto`, thesis §5.2).
// The page is "Key: value" lines, an optional bare host-name line first, and the Scoreboard:
// one character per worker slot. Never throws: odd pages come back as a reason.

import type { WebStats } from "../core/types.ts";
import { clip, fail, type Parsed } from "./parsed.ts";

// Apache 2.x slot states: _ waiting, S starting, R reading, W writing, K keepalive, D DNS,
// C closing, L logging, G graceful finish, I idle cleanup, . open slot with no process,
// space: a disabled slot (some 2.4 releases print these, later ones leave them out).
const SCOREBOARD = /^[_SRWKDCLGI. ]+$/;

export function parseModStatus(text: string): Parsed<WebStats> {
  if (/^\s*</.test(text) || /<html|<!doctype/i.test(text)) {
    return fail("HTML page, not ?auto text (does the status URL end in ?auto?)");
  }
  // Apache ends every line, the Scoreboard's included, with a newline: a page without one was cut short.
  if (!text.endsWith("\n")) return fail("truncated page (last line unfinished)");

  const fields = new Map<string, string | null>(); // null: the key came more than once
  for (const line of text.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon < 0) continue; // the host-name line, blank lines, mod_ssl section headers
    const key = line.slice(0, colon);
    fields.set(key, fields.has(key) ? null : line.slice(colon + 2).replace(/\r$/, ""));
  }

  const hits = number(fields, "Total Accesses", " (is ExtendedStatus off?)");
  if (!hits.ok) return hits;
  const busy = number(fields, "BusyWorkers");
  if (!busy.ok) return busy;

  const board = fields.get("Scoreboard");
  if (board === undefined) return fail("no Scoreboard (truncated page?)");
  if (board === null) return fail("Scoreboard appears twice");
  if (board.trim() === "") return fail("Scoreboard is empty");
  if (!SCOREBOARD.test(board)) return fail(`Scoreboard has unexpected characters: "${clip(board)}"`);
  // Every character but a disabled one is a slot: ServerLimit × ThreadLimit, open slots included,
  // Apache's hard ceiling on simultaneous requests (MaxRequestWorkers itself is not in the page).
  const maxWorkers = board.replaceAll(" ", "").length;
  if (busy.value > maxWorkers) {
    return fail(`BusyWorkers ${busy.value} exceeds the ${maxWorkers} Scoreboard slots`);
  }
  return { ok: true, value: { hits: hits.value, busyWorkers: busy.value, maxWorkers } };
}

function number(fields: Map<string, string | null>, key: string, hint = ""): Parsed<number> {
  const value = fields.get(key);
  if (value === undefined) return fail(`no ${key}${hint}`);
  if (value === null) return fail(`${key} appears twice`);
  const text = value.trim();
  if (/^-\d+$/.test(text)) return fail(`${key} is negative: ${text}`);
  if (!/^\d+$/.test(text)) return fail(`${key} is not a whole number: "${clip(text)}"`);
  return { ok: true, value: Number(text) };
}
