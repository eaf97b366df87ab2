// What one history sample holds: each server's load, state and request rate, and where each
// area points. Taken by sample.ts, kept packed by history.ts (packed-sample.ts).
import type { ServerState } from "../core/types.ts";

export interface ServerPoint {
  load: number | null;
  state: ServerState;
  /** Requests per second from the reporter's counter; null when unknown (no counter, reset, no report). */
  rps: number | null;
  /** In the answers: functioning and not drained. */
  inService: boolean;
}

export interface AreaPoint {
  cluster: string;
  /** DNS queries per second this nameserver answered for the area; null off nameservers. */
  qps: number | null;
}

export interface HistorySample {
  atMs: number;
  servers: Record<string, ServerPoint>;
  areas: Record<string, AreaPoint>;
}
