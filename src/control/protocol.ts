// The local control socket's protocol: one JSON request line, one JSON reply line.
import type { DecisionEntry } from "../ops/decision-log.ts";
import type { AssignReason, ServerState } from "../core/types.ts";
import type { LocationStatus } from "../geo/location-status.ts";

export const SOCKET_FILE = "control.sock";
/** A request line longer than this is refused: the socket is local, but still bounded. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type Request = { op: "status" } | { op: "drain"; server: string; drained: boolean; reason: string };

export type Reply = { ok: true; status?: StatusReport } | { ok: false; error: string };

export interface StatusReport {
  node: string;
  peer: string;
  site: { zone: string; digest: string };
  roles: string[];
  master: { peer: string; node: string; self: boolean } | null;
  members: { node: string; peer: string; roles: string[]; priority: number | null; live: boolean; siteMatches: boolean; heardAgoMs: number }[];
  assignment: { master: string; epoch: number; seq: number; ageMs: number } | null;
  areas: { area: string; cluster: string; servers: string[]; reason: AssignReason | "unassigned"; detail: string }[];
  servers: { name: string; cluster: string; state: ServerState; measured: string; load: number | null; threshold: number; drained: boolean; drainReason: string; reason: string }[];
  dns: { queries: number; responses: Record<string, number> } | null;
  gossip: { peers: number; accepted: Record<string, number>; rejected: Record<string, number> };
  /** Recent changes of where areas point, newest first (see ops/decision-log.ts). */
  decisions: DecisionEntry[];
  /** The location map: versions across nameservers and how queries were steered. */
  locations: LocationStatus | null;
}
