// Pure parser of nginx's stub_status page. Its whole text, every line ending in a newline:
//
//   Active connections: 291
//   server accepts handled requests
//    16630948 16630948 31070465
//   Reading: 6 Writing: 179 Waiting: 106
//
// Never throws: an odd page comes back as a reason.

import { clip, fail, type Parsed } from "./parsed.ts";

export interface StubStatus {
  active: number;
  accepts: number;
  handled: number;
  requests: number;
  reading: number;
  writing: number;
  waiting: number;
}

const ACTIVE = /^Active connections:\s*(\d+)\s*$/;
const HEADER = /^server accepts handled requests\s*$/;
const COUNTERS = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/;
const STATES = /^Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)\s*$/;

export function parseStubStatus(text: string): Parsed<StubStatus> {
  if (/^\s*</.test(text)) return fail("HTML page, not stub_status (is stub_status on at this location?)");
  if (!text.endsWith("\n")) return fail("truncated page (last line unfinished)");
  const lines = text
    .replace(/\r/g, "")
    .split("\n")
    .filter((l) => l.trim() !== "");
  if (lines.length !== 4) return fail(`expected 4 lines, got ${lines.length}`);
  const [l0 = "", l1 = "", l2 = "", l3 = ""] = lines;
  const a = ACTIVE.exec(l0);
  if (!a) return fail(`no "Active connections" line: "${clip(l0)}"`);
  if (!HEADER.test(l1)) return fail(`no "server accepts handled requests" line: "${clip(l1)}"`);
  const c = COUNTERS.exec(l2);
  if (!c) return fail(`counters line is not three whole numbers: "${clip(l2)}"`);
  const s = STATES.exec(l3);
  if (!s) return fail(`no "Reading: Writing: Waiting:" line: "${clip(l3)}"`);
  const n = (m: RegExpExecArray, i: number) => Number(m[i]);
  // No cross-checks between the figures: nginx reads each counter separately, without a lock,
  // so under load they legitimately disagree by a connection or two.
  const value: StubStatus = {
    active: n(a, 1),
    accepts: n(c, 1),
    handled: n(c, 2),
    requests: n(c, 3),
    reading: n(s, 1),
    writing: n(s, 2),
    waiting: n(s, 3),
  };
  return { ok: true, value };
}
