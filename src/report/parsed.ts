// What every pure parser here returns instead of throwing: a value, or the reason it has none.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** A piece of untrusted text short enough to quote in a reason. */
export const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);
