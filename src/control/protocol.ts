// The local control socket's protocol: one JSON request line, one JSON reply line.
import type { Revocation } from "../core/types.ts";
import type { StatusReport } from "../ops/status.ts";

export const SOCKET_FILE = "control.sock";
/** A request line longer than this is refused: the socket is local, but still bounded. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type Request =
  { op: "status"; history?: boolean } | { op: "drain"; server: string; drained: boolean; reason: string } | { op: "revoke"; revocation: Revocation };

export type Reply = { ok: true; status?: StatusReport } | { ok: false; error: string };
