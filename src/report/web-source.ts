// One small interface for every way of asking the local web server how it is (thesis §5.2):
// Apache mod_status, nginx stub_status, a plain HTTP probe, a TCP connect probe.

import type { WebStats } from "../core/types.ts";

/**
 * up          the server answered as expected; `stats` when the source has figures to give.
 * down        refused, reset, timed out, 5xx, or (probes) not the answer expected: counts toward PANIC.
 * unreadable  the server answered but its status page made no sense: it proves neither way.
 */
export type WebReading = { state: "up"; stats?: WebStats } | { state: "down"; error: string } | { state: "unreadable"; error: string };

export interface WebSource {
  /** One probe at `nowMs`. Never throws: every failure comes back as a reading. */
  read(nowMs: number): Promise<WebReading>;
}

export const down = (error: string): WebReading => ({ state: "down", error });
export const unreadable = (error: string): WebReading => ({ state: "unreadable", error });
