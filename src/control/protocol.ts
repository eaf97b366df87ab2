// The local control socket's protocol: one JSON request line, one JSON reply line.
import type { Revocation, SiteDocument } from "../core/types.ts";
import type { StatusReport } from "../ops/status.ts";

export const SOCKET_FILE = "control.sock";
/** A request line longer than this is refused: the socket is local, but still bounded (a site document fits, as on gossip). */
export const MAX_REQUEST_BYTES = 256 * 1024;

export type Request =
  | { op: "status"; history?: boolean }
  | { op: "drain"; server: string; drained: boolean; reason: string }
  | { op: "revoke"; revocation: Revocation }
  | { op: "site-push"; document: SiteDocument }
  | { op: "site-show" };

/** The site document in force on a node (`walrus site show`). */
export interface SiteShown {
  version: number;
  site: Readonly<Record<string, unknown>>;
  /** The operator key that signed it; absent: the node's own file's [site]. */
  key?: string;
}

export type Reply = { ok: true; status?: StatusReport; site?: SiteShown } | { ok: false; error: string };
