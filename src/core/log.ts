// Logs: one JSON object per line on stderr (human text when stderr is a terminal), with a level
// and the role as scope. The same line is printed at most `burst` times a minute; the lines
// held back are counted and the next one printed says how many. Info lines say what changed,
// so their fields are part of "the same"; other levels repeat with varying details (an error's
// text, a peer), so they are grouped by scope and message alone.
// Fields whose key names a secret are never written, nor credentials inside URLs.
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const REPEAT_WINDOW_MS = 60_000;
const REPEAT_BURST = 5;
/** Distinct messages remembered for rate limiting; a bound, not a tuning knob. */
const MAX_TRACKED = 1000;
const SECRET_KEY = /secret|passw|token|authori[sz]ation|api[_-]?key|private[_-]?key|cookie/i;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(:[^/@\s]*)?@/gi;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  scope(name: string): Logger;
}

export interface LoggerOptions {
  level?: Level;
  json?: boolean;
  write?: (line: string) => void;
  now?: () => number;
  burst?: number;
  windowMs?: number;
}

export function isLevel(s: string | undefined): s is Level {
  return s !== undefined && s in ORDER;
}

/** What may be written of one field value. */
export function redact(key: string, v: unknown): unknown {
  if (SECRET_KEY.test(key)) return "[redacted]";
  if (v instanceof Error) return v.message.replace(URL_CREDENTIALS, "$1[redacted]@");
  if (typeof v === "string") return v.replace(URL_CREDENTIALS, "$1[redacted]@");
  return v;
}

export function createLogger(opts: LoggerOptions = {}, scopeName = "node"): Logger {
  const env = process.env.WALRUS_LOG_LEVEL;
  const min = ORDER[opts.level ?? (isLevel(env) ? env : "info")];
  const json = opts.json ?? !process.stderr.isTTY;
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const burst = opts.burst ?? REPEAT_BURST;
  const windowMs = opts.windowMs ?? REPEAT_WINDOW_MS;
  const recent = new Map<string, { windowStartMs: number; printed: number; suppressed: number }>();

  const emit = (level: Level, scope: string, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const at = now();
    const key = `${level}\0${scope}\0${msg}${level === "info" ? `\0${JSON.stringify(fields)}` : ""}`;
    let seen = recent.get(key);
    if (!seen || at - seen.windowStartMs >= windowMs) {
      const carried = seen?.suppressed ?? 0;
      if (!seen && recent.size >= MAX_TRACKED) recent.clear();
      seen = { windowStartMs: at, printed: 0, suppressed: carried };
      recent.set(key, seen);
    }
    if (seen.printed >= burst) {
      seen.suppressed++;
      return;
    }
    seen.printed++;
    const repeated = seen.suppressed ? { suppressed: seen.suppressed } : {};
    seen.suppressed = 0;
    const clean = Object.fromEntries(
      Object.entries({ ...fields, ...repeated })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, redact(k, v)]),
    );
    const time = new Date(at).toISOString();
    if (json) write(JSON.stringify({ time, level, scope, msg, ...clean }));
    else {
      const extra = Object.entries(clean).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
      write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${scope}] ${msg}${extra.length ? ` ${extra.join(" ")}` : ""}`);
    }
  };
  const make = (scope: string): Logger => ({
    debug: (m, f) => emit("debug", scope, m, f),
    info: (m, f) => emit("info", scope, m, f),
    warn: (m, f) => emit("warn", scope, m, f),
    error: (m, f) => emit("error", scope, m, f),
    scope: (name) => make(name),
  });
  return make(scopeName);
}
