// The records RFC 2136 updates set (src/dns/update-rules.ts), held alike by every nameserver:
// one that accepts an update writes it to its state directory (atomically) before answering,
// then gossips it; the others keep, per RRset, the newest by (time, origin) and write it too.
// Deletions stay as empty RRsets so a late message cannot bring a record back. Every
// nameserver republishes the whole set now and then, so one that was away catches up.

import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { StaticRecordSpec } from "../core/types.ts";
import { parseRecordData } from "../dns/records.ts";
import { dynamicKey, type DynamicRrset, type DynamicSet } from "../dns/update-rules.ts";
import { LIMITS } from "../net/messages.ts";
import type { StateStore } from "../state/store.ts";
import type { SiteView } from "./site-view.ts";

const FILE = "updated-records.json";
/** How often the whole set is gossiped again (a nameserver that was away catches up). */
const REPUBLISH_MS = 5_000;

export interface UpdatedRecords {
  all(): DynamicSet;
  /** Accepted here: durable when it resolves, then gossiped. */
  commit(changed: readonly DynamicRrset[]): Promise<void>;
  /** The live records, as the zone builder takes static ones. */
  asRecords(): StaticRecordSpec[];
  onChange(l: () => void): void;
  stop(): void;
}

export function startUpdatedRecords(init: { digest: string; view: SiteView; state: StateStore; timers: Timers; log: Logger }): UpdatedRecords {
  const { state, view, log } = init;
  let records = new Map<string, DynamicRrset>();
  const listeners: (() => void)[] = [];
  const saved = state.readJson(FILE) as { site?: string; rrsets?: DynamicRrset[] } | undefined;
  if (saved?.site === init.digest) for (const r of saved.rrsets ?? []) records.set(dynamicKey(r), r);

  const newer = (a: DynamicRrset, b: DynamicRrset | undefined) => !b || a.atMs > b.atMs || (a.atMs === b.atMs && a.origin > b.origin);
  const merge = (incoming: readonly DynamicRrset[]): boolean => {
    const next = new Map(records);
    let changed = false;
    for (const r of incoming) {
      if (!newer(r, next.get(dynamicKey(r)))) continue;
      if (!next.has(dynamicKey(r)) && next.size >= LIMITS.records) {
        log.warn("too many updated records; one more is not kept", { name: r.name, type: r.type, limit: LIMITS.records });
        continue;
      }
      next.set(dynamicKey(r), r);
      changed = true;
    }
    if (!changed) return false;
    state.writeJson(FILE, { site: init.digest, rrsets: [...next.values()] });
    records = next;
    for (const l of listeners) l();
    return true;
  };
  const publish = (rrsets: DynamicRrset[]) => {
    if (rrsets.length > 0) view.publish({ type: "records", site: init.digest, rrsets });
  };

  view.onRecords((rrsets) => {
    if (merge(rrsets)) log.info("updated records received", { rrsets: rrsets.map((r) => `${r.name} ${r.type}`).join(", ") });
  });
  const stopRepublish = init.timers.every(REPUBLISH_MS, () => publish([...records.values()]));

  return {
    all: () => records,
    async commit(changed) {
      merge(changed);
      publish([...changed]);
    },
    // A value from gossip that is not valid data for its type is left out rather than break the zone.
    asRecords: () =>
      [...records.values()].flatMap((r) =>
        r.values.flatMap((data) => {
          const parsed = parseRecordData(r.type, data, "");
          return parsed.ok ? [{ name: r.name, type: r.type, ttlSeconds: r.ttl, data, rdata: parsed.data }] : [];
        }),
      ),
    onChange: (l) => void listeners.push(l),
    stop: stopRepublish,
  };
}
