// A manual clock and timer queue: the simulator's time only moves when it says so, so a
// whole site runs deterministically from one seed.
import type { Clock } from "../core/clock.ts";
import type { Timers } from "../core/timers.ts";

interface Event {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  nowMs = 0;
  private seq = 0;
  private readonly heap: Event[] = [];

  readonly clock: Clock = () => this.nowMs;

  /** Timers whose callbacks are all dropped once `alive()` turns false (a crashed node). */
  timers(alive: () => boolean = () => true): Timers {
    return {
      after: (ms, fn) => this.at(this.nowMs + ms, () => alive() && fn()),
      every: (ms, fn) => {
        let cancel = () => {};
        const tick = () => {
          if (!alive()) return;
          cancel = this.at(this.nowMs + ms, tick);
          fn();
        };
        cancel = this.at(this.nowMs + ms, tick);
        return () => cancel();
      },
    };
  }

  at(atMs: number, fn: () => void): () => void {
    const e: Event = { atMs: Math.max(atMs, this.nowMs), seq: this.seq++, fn, cancelled: false };
    this.push(e);
    return () => void (e.cancelled = true);
  }

  /** Runs every event due up to `untilMs`, in time order (ties in scheduling order). */
  runUntil(untilMs: number): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.atMs > untilMs) break;
      this.pop();
      if (top.cancelled) continue;
      this.nowMs = top.atMs;
      top.fn();
    }
    this.nowMs = untilMs;
  }

  private before(a: Event, b: Event): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i] as Event, h[p] as Event)) break;
      [h[i], h[p]] = [h[p] as Event, h[i] as Event];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Event;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l] as Event, h[m] as Event)) m = l;
      if (r < h.length && this.before(h[r] as Event, h[m] as Event)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Event, h[i] as Event];
      i = m;
    }
  }
}
