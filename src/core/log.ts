// Logs: one JSON object per line on stderr (human text when stderr is a terminal), with a
// level and the role as scope. A message repeated within a minute is counted, not printed.
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const REPEAT_WINDOW_MS = 60_000;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  scope(name: string): Logger;
}

export function createLogger(opts: { level?: Level; json?: boolean; write?: (line: string) => void } = {}, scopeName = "node"): Logger {
  const min = ORDER[opts.level ?? (process.env.WALRUS_LOG_LEVEL as Level | undefined) ?? "info"] ?? ORDER.info;
  const json = opts.json ?? !process.stderr.isTTY;
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const recent = new Map<string, { atMs: number; suppressed: number }>();

  const emit = (level: Level, scope: string, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const now = Date.now();
    const key = `${scope}\0${msg}\0${JSON.stringify(fields)}`;
    const seen = recent.get(key);
    if (seen && now - seen.atMs < REPEAT_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const repeated = seen?.suppressed ? { repeated: seen.suppressed } : {};
    recent.set(key, { atMs: now, suppressed: 0 });
    if (recent.size > 1000) recent.clear();
    const rec = { time: new Date(now).toISOString(), level, scope, msg, ...fields, ...repeated };
    if (json) write(JSON.stringify(rec, (_k, v) => (v instanceof Error ? v.message : v)));
    else {
      const extra = Object.entries({ ...fields, ...repeated }).map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === "string" ? v : JSON.stringify(v)}`);
      write(`${rec.time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${scope}] ${msg}${extra.length ? ` ${extra.join(" ")}` : ""}`);
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
