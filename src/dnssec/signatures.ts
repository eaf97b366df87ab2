// Signatures made once per RRset content and reused until they are due again: every process that
// signs the same RRsets at the same `now` (the node and its DNS workers) makes the same validity
// window and the same re-signing time, because the jitter comes from a hash of the RRset, not
// from a random draw. Pure apart from the signing; `now` is passed in (Unix seconds).

import { createHash } from "node:crypto";
import type { Answer } from "dns-packet";
import { canonicalRecord, signRRset, type Validity } from "./rrsig.ts";
import type { ZoneKey } from "./key.ts";

export interface SigningPolicy {
  /** How long a signature holds (RFC 6781 §4.4.2: days, so an outage does not make the zone bogus). */
  validitySeconds: number;
  /** Inception this far in the past, for validators whose clocks run behind. */
  backdateSeconds: number;
  /** Signatures are made again when less than this share of their validity remains… */
  resignRemaining: number;
  /** …plus up to this share more, spread by a hash of the RRset so re-signing does not come all at once. */
  jitter: number;
}

export const DEFAULT_SIGNING: SigningPolicy = { validitySeconds: 7 * 86_400, backdateSeconds: 3600, resignRemaining: 0.5, jitter: 0.1 };

interface Entry {
  rrsig: Answer;
  resignAt: number;
  generation: number;
}

export interface SignatureCache {
  /** The RRSIG of `rrset` by `key`: the cached one while it is not due, else a new one. */
  sign(rrset: readonly Answer[], key: ZoneKey, now: number): Answer;
  /** Starts a build: entries not used in this build or the previous one are then dropped by `sweep`. */
  begin(): void;
  sweep(): void;
  /** The earliest time a cached signature is due again (Infinity when none). */
  nextResignAt(): number;
  /** Signatures made so far (not reused). */
  readonly made: number;
  readonly size: number;
}

export function signatureCache(policy: SigningPolicy = DEFAULT_SIGNING): SignatureCache {
  const entries = new Map<string, Entry>();
  let generation = 0;
  let made = 0;
  return {
    sign(rrset, key, now) {
      const id = contentId(rrset, key);
      const hit = entries.get(id);
      if (hit && now < hit.resignAt) {
        hit.generation = generation;
        return hit.rrsig;
      }
      const { validity, resignAt } = window(policy, now, id);
      const rrsig = signRRset(rrset, key, validity);
      made++;
      entries.set(id, { rrsig, resignAt, generation });
      return rrsig;
    },
    begin() {
      generation++;
    },
    sweep() {
      for (const [id, e] of entries) if (e.generation < generation - 1) entries.delete(id);
    },
    nextResignAt() {
      let next = Infinity;
      for (const e of entries.values()) next = Math.min(next, e.resignAt);
      return next;
    },
    get made() {
      return made;
    },
    get size() {
      return entries.size;
    },
  };
}

/** The validity of a signature made at `now`, and when it is due again. */
export function window(policy: SigningPolicy, now: number, id: string): { validity: Validity; resignAt: number } {
  const inception = now - policy.backdateSeconds;
  const expiration = now + policy.validitySeconds;
  const spread = createHash("sha256").update(id).digest().readUInt16BE(0) / 0x10000;
  const remaining = policy.validitySeconds * (policy.resignRemaining + policy.jitter * spread);
  return { validity: { inception, expiration }, resignAt: Math.floor(expiration - remaining) };
}

/** What a signature depends on: the key and the RRset's canonical records (its order does not matter). */
function contentId(rrset: readonly Answer[], key: ZoneKey): string {
  const records = rrset.map((rr) => {
    const c = canonicalRecord(rr);
    return `${Buffer.from(c.owner).toString("hex")}/${c.type}/${(rr as { ttl?: number }).ttl ?? 0}/${Buffer.from(c.rdata).toString("hex")}`;
  });
  return `${key.tag}:${Buffer.from(key.publicKey).toString("hex").slice(0, 16)}|${records.sort().join("|")}`;
}
