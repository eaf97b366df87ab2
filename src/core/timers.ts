// Timers as an interface, so roles run on real time in a node and on a manual clock in the
// simulator (src/sim/scheduler.ts).
export interface Timers {
  /** Calls fn every ms; returns a cancel function. */
  every(ms: number, fn: () => void): () => void;
  /** Calls fn once after ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
