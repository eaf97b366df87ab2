// Real HTTP requests to demo web servers, bounded in count and time, to loopback only: makes
// the request mix uneven on purpose (the NCSA case) for the demo and the tests.

export interface Target {
  url: string;
  /** Relative share of the requests. */
  weight: number;
}

/** At most this many requests per second and this long, whatever is asked. */
export const MAX_RATE = 500;
export const MAX_SECONDS = 600;

const LOOPBACK = /^http:\/\/(127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?\//;

/** Sends `rate` requests a second for `seconds`, spread over the targets by weight (smooth
 * weighted round robin: 9:1 gives nine to the first for each one to the second). Returns the
 * requests answered per target. Stops early when `signal` aborts. */
export async function sendMix(targets: readonly Target[], rate: number, seconds: number, signal?: AbortSignal): Promise<number[]> {
  for (const t of targets)
    if (!LOOPBACK.test(t.url) || !(t.weight > 0))
      throw new Error(`target must be http://127.x.x.x:PORT/ or http://[::1]:PORT/ with a weight above 0: ${t.url}=${t.weight}`);
  if (!(rate > 0 && rate <= MAX_RATE) || !(seconds > 0 && seconds <= MAX_SECONDS))
    throw new Error(`rate must be 1..${MAX_RATE}/s and seconds 1..${MAX_SECONDS}`);
  const total = targets.reduce((s, t) => s + t.weight, 0);
  const current = targets.map(() => 0);
  const answered = targets.map(() => 0);
  const count = Math.round(rate * seconds);
  const start = performance.now();
  for (let i = 0; i < count && !signal?.aborted; i++) {
    targets.forEach((t, k) => (current[k] = (current[k] ?? 0) + t.weight));
    const k = current.indexOf(Math.max(...current));
    current[k] = (current[k] ?? 0) - total;
    const r = await fetch((targets[k] as Target).url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.ok) answered[k] = (answered[k] ?? 0) + 1;
    await r?.arrayBuffer().catch(() => undefined);
    const due = start + ((i + 1) * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    if (performance.now() - start > (seconds + 5) * 1000) break; // a slow machine: never run past the time asked
  }
  return answered;
}
