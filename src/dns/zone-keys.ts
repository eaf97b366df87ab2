// Each process's DNSSEC signing state for the site's zone (issue 21): the keys read from
// site.dnssec_keys (again only when the directory changed) and the caches that let a zone
// rebuilt on every assignment change reuse its signatures. The node and each DNS worker hold
// their own and, signing at the same `now`, make the same signatures' windows. A directory that
// stops making sense (a file half copied, no key left to sign with) is reported and the keys
// held before are kept: only a nameserver starting without usable keys fails.

import { keyDirStamp, loadKeyDir } from "../dnssec/key-dir.ts";
import { isActive, type ZoneKey } from "../dnssec/key.ts";
import { onlineCache } from "../dnssec/online.ts";
import { signatureCache } from "../dnssec/signatures.ts";
import type { Site } from "../core/types.ts";
import type { RRset } from "./rr.ts";
import type { DnssecInput } from "./zone-signing.ts";

interface Held {
  dir: string;
  stamp: number;
  keys: ZoneKey[];
  cache: ReturnType<typeof signatureCache>;
  online: ReturnType<typeof onlineCache<RRset>>;
  /** Why the directory's current contents were not taken, until it changes again. */
  problem?: string;
}

let held: Held | undefined;

/** What to sign `site`'s zone with at `now` (Unix seconds), or undefined when it is not signed. */
export function signingFor(site: Site, now: number): DnssecInput | undefined {
  const dir = site.dnssecKeys;
  if (!dir) return undefined;
  if (held?.dir !== dir) held = { dir, stamp: Number.NaN, keys: [], cache: signatureCache(), online: onlineCache<RRset>() };
  const stamp = keyDirStamp(dir);
  if (stamp !== held.stamp) {
    held.stamp = stamp;
    held.problem = undefined;
    try {
      const keys = loadKeyDir(dir, site.zone);
      if (!keys.some((k) => isActive(k, now))) throw new Error(`${dir} (site.dnssec_keys): no key signs ${site.zone}: make one with \`walrus dnssec keygen\``);
      held.keys = keys;
    } catch (err) {
      if (held.keys.length === 0) throw err;
      held.problem = (err as Error).message;
    }
  }
  return { keys: held.keys, now, cache: held.cache, online: held.online, clockMs: Date.now };
}

/** Whether the zone must be built again: its keys changed, or a signature is due at `now`. */
export function signingDue(site: Site, now: number): boolean {
  if (!site.dnssecKeys || !held) return false;
  return keyDirStamp(site.dnssecKeys) !== held.stamp || now >= held.cache.nextResignAt();
}

/** Why the key directory's latest contents are not in use (the keys before them are), if they are not. */
export function signingProblem(): string | undefined {
  return held?.problem;
}

/** Signatures made and online signings capped so far in this process, for the statistics. */
export function signingCounts(): { signed: number; onlineSigned: number; onlineCapped: number } {
  return { signed: held?.cache.made ?? 0, onlineSigned: held?.online.made ?? 0, onlineCapped: held?.online.capped ?? 0 };
}
