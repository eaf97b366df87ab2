// The nameserver's side of RFC 2136: the keys of [nameserver] update_allow read at start, the
// names walrus answers itself kept out of reach, and the handler the DNS server calls.

import type { NameserverConfig } from "../dns/config.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Site } from "../core/types.ts";
import { updateHandler } from "../dns/update-handler.ts";
import { loadTsigKey } from "../dns/key-file.ts";
import type { UpdatedRecords } from "./updated-records.ts";

export function receiveUpdates(init: {
  site: Site;
  cfg: NameserverConfig;
  records: UpdatedRecords;
  origin: string;
  clock: Clock;
  log: Logger;
}): ((query: Uint8Array) => Promise<Uint8Array>) | undefined {
  const { site, cfg, log } = init;
  if (!cfg.updateAllow) return undefined;
  const keys = new Map(
    cfg.updateAllow.map((a, i) => {
      const key = loadTsigKey(a.keyFile, `nameserver.update_allow[${i}].key_file`);
      return [key.name, { key, allow: a }] as const;
    }),
  );
  // The zone's static part stays the config's: apex, balanced names, the areas' own names,
  // nameserver hosts and [site] records.
  const fixed = new Set([site.zone, ...site.names, ...site.areas.map((a) => a.nameserverHost), ...(site.records ?? []).map((r) => r.name)]);
  const areaOwn = new RegExp(`(^|\\.)area-[^.]+\\.${site.zone.replace(/\./g, "\\.")}$`);
  log.info("accepting updates", { keys: [...keys.keys()].join(",") });
  return updateHandler({
    apex: site.zone,
    reserved: (name) => fixed.has(name) || areaOwn.test(name),
    keys,
    records: () => init.records.all(),
    origin: init.origin,
    clock: init.clock,
    commit: (changed) => init.records.commit(changed),
    onOutcome: (outcome, detail) => (outcome === "NOERROR" ? log.info("update accepted", { detail }) : log.warn("update refused", { outcome, detail })),
  });
}
