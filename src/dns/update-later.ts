// An RFC 2136 UPDATE is answered once it is durable, later than the datagram or frame it came
// in: the same on every socket (the node's UDP and TCP, a worker's portable or batched UDP),
// and counted by its rcode like any reply.
import type { DnsStats } from "./answerer.ts";
import { isUpdate } from "./update-handler.ts";

const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

/** True when `query` is an UPDATE taken in hand: `send` gets its reply when there is one. */
export type UpdateLater = (query: Uint8Array, send: (reply: Uint8Array) => void) => boolean;

export function updateLater(
  update: ((query: Uint8Array) => Promise<Uint8Array>) | undefined,
  stats: DnsStats,
  fail: (what: string, err: unknown) => void,
): UpdateLater {
  return (query, send) => {
    if (!update || !isUpdate(query)) return false;
    stats.queries++;
    update(query.slice()).then(
      (r) => {
        const rcode = RCODE_NAMES[(r[3] ?? 0) & 0xf] ?? "other";
        stats.responses[rcode] = (stats.responses[rcode] ?? 0) + 1;
        send(r);
      },
      (err) => fail("update", err),
    );
    return true;
  };
}
