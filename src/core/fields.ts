// Typed reads of an untrusted TOML table that collect every error with its key path,
// so validation can report all problems at once instead of stopping at the first.

export interface ConfigError {
  file: string;
  key: string;
  value: string;
  expected: string;
}

export function formatConfigError(e: ConfigError): string {
  return `${e.file}: ${e.key} = ${e.value}: expected ${e.expected}`;
}

export type Table = Record<string, unknown>;

export const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

function show(v: unknown): string {
  if (v === undefined) return "(missing)";
  const s = typeof v === "string" ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export class Fields {
  constructor(
    readonly file: string,
    readonly errors: ConfigError[] = [],
  ) {}

  fail(key: string, value: unknown, expected: string): void {
    this.errors.push({ file: this.file, key, value: show(value), expected });
  }

  /** Rejects keys a table does not know: a typo must not silently fall back to a default. */
  known(t: Table, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(t)) {
      if (!keys.includes(k)) this.fail(join(path, k), t[k], `one of the keys ${keys.join(", ")} (unknown key)`);
    }
  }

  /** The members of an array of tables ([[x]]) with their key paths; any other member is an error. */
  tablesIn(list: unknown, path: string, expected: string): [string, Table][] {
    return (Array.isArray(list) ? list : []).flatMap((v, i): [string, Table][] => {
      if (isTable(v)) return [[`${path}[${i}]`, v]];
      this.fail(`${path}[${i}]`, v, expected);
      return [];
    });
  }

  table(t: Table, path: string, key: string, required: boolean): Table | undefined {
    const v = t[key];
    if (v === undefined) {
      if (required) this.fail(join(path, key), v, "a table");
      return undefined;
    }
    if (!isTable(v)) {
      this.fail(join(path, key), v, "a table");
      return undefined;
    }
    return v;
  }

  string(t: Table, path: string, key: string, opts: { default?: string; pattern?: RegExp; expected?: string } = {}): string {
    const v = t[key];
    if (v === undefined && opts.default !== undefined) return opts.default;
    if (typeof v !== "string" || v.length === 0 || (opts.pattern && !opts.pattern.test(v))) {
      this.fail(join(path, key), v, opts.expected ?? "a non-empty string");
      return opts.default ?? "";
    }
    return v;
  }

  boolean(t: Table, path: string, key: string, opts: { default: boolean }): boolean {
    const v = t[key];
    if (v === undefined) return opts.default;
    if (typeof v !== "boolean") {
      this.fail(join(path, key), v, "true or false");
      return opts.default;
    }
    return v;
  }

  number(t: Table, path: string, key: string, opts: { default?: number; min: number; max: number; integer?: boolean; unit?: string }): number {
    const v = t[key];
    if (v === undefined && opts.default !== undefined) return opts.default;
    const ok = typeof v === "number" && Number.isFinite(v) && v >= opts.min && v <= opts.max && (!opts.integer || Number.isInteger(v));
    if (!ok) {
      const kind = opts.integer ? "an integer" : "a number";
      this.fail(join(path, key), v, `${kind} from ${opts.min} to ${opts.max}${opts.unit ? ` ${opts.unit}` : ""}`);
      return opts.default ?? opts.min;
    }
    return v as number;
  }

  strings(
    t: Table,
    path: string,
    key: string,
    opts: { default?: string[]; nonEmpty?: boolean; each?: (s: string) => string | undefined; expected?: string },
  ): string[] {
    const v = t[key];
    if (v === undefined && opts.default !== undefined) return opts.default;
    const expected = opts.expected ?? `a list of strings${opts.nonEmpty ? " (at least one)" : ""}`;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string") || (opts.nonEmpty && v.length === 0)) {
      this.fail(join(path, key), v, expected);
      return opts.default ?? [];
    }
    const out: string[] = [];
    v.forEach((s: string, i: number) => {
      const problem = opts.each?.(s);
      if (problem) this.fail(`${join(path, key)}[${i}]`, s, problem);
      else out.push(s);
    });
    return out;
  }
}

export const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
