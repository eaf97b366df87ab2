// A zone's DNSSEC part, made with the zone (issue 21): the apex DNSKEY RRset, an RRSIG for every
// RRset (each area's balanced answers included), and the compact-denial NSECs of every name the
// zone holds, all signed here from the signature cache, so answering never signs, except for the
// NSEC of a name that does not exist and a wildcard's expansion, signed on demand (online.ts).
// Pure: keys, time and caches are passed in.

import type { Answer } from "dns-packet";
import { nameToWire } from "../core/dns-name.ts";
import { isActive, isPublished, type ZoneKey } from "../dnssec/key.ts";
import { compactNsec } from "../dnssec/nsec.ts";
import type { OnlineCache } from "../dnssec/online.ts";
import { window, DEFAULT_SIGNING, type SignatureCache } from "../dnssec/signatures.ts";
import { signRRset } from "../dnssec/rrsig.ts";
import type { RRset } from "./rr.ts";
import type { ZoneCore, ZoneDnssec } from "./zone-core.ts";

export interface DnssecInput {
  keys: readonly ZoneKey[];
  /** Unix seconds: the same for the node and its workers, so they make the same signatures' windows. */
  now: number;
  cache: SignatureCache;
  online: OnlineCache<RRset>;
  /** Milliseconds, for the online signing rate. */
  clockMs: () => number;
}

/** The apex DNSKEY RRset: every published key. */
export function dnskeyRRset(apex: string, ttl: number, d: DnssecInput): RRset {
  return d.keys
    .filter((k) => isPublished(k, d.now))
    .map((k) => ({ type: "DNSKEY", name: apex, ttl, data: { flags: 257, algorithm: 13, key: Buffer.from(k.publicKey) } }) as Answer);
}

/** Signs `zone` (its apex already holding the DNSKEY RRset). */
export function signZone(zone: ZoneCore, d: DnssecInput): ZoneDnssec {
  const published = d.keys.filter((k) => isPublished(k, d.now));
  const active = published.filter((k) => isActive(k, d.now));
  if (active.length === 0) throw new Error("no active DNSSEC key: make one with `walrus dnssec keygen`");
  d.cache.begin();
  const rrsigs = new Map<RRset, RRset>();
  // During a rollover the DNSKEY RRset is signed by every published key, so it validates through
  // whichever DS the parent has; the data only by the active key.
  const sign = (rrset: RRset) => {
    if (rrset.length > 0 && !rrsigs.has(rrset))
      rrsigs.set(
        rrset,
        (rrset[0]!.type === "DNSKEY" ? published : active).map((k) => d.cache.sign(rrset, k, d.now)),
      );
  };
  const ttl = Number((zone.soa[0] as { ttl?: number }).ttl ?? 0);
  const denials = new Map<string, RRset>();
  const deny = (owner: string, types: readonly number[]) => {
    const nsec = [compactNsec(owner, nameToWire(owner), types, ttl)];
    denials.set(denialId(owner, types), [...nsec, ...active.map((k) => d.cache.sign(nsec, k, d.now))]);
  };
  for (const [name, node] of zone.nodes) {
    for (const rrset of node.values()) sign(rrset);
    deny(name, [...node.keys()]);
  }
  for (const area of zone.balanced.values())
    for (const [name, node] of area) {
      for (const rrset of node.values()) sign(rrset);
      deny(name, [...node.keys()]);
    }
  for (const name of zone.emptyNonTerminals) deny(name, []);
  d.cache.sweep();

  const online = (id: string, make: () => RRset) => d.online.get(`${active.map((k) => k.tag).join(",")}@${d.now}|${id}`, d.clockMs(), make);
  const signNow = (rrset: RRset) => active.map((k) => signRRset(rrset, k, window(DEFAULT_SIGNING, d.now, "").validity));
  return {
    rrsigs,
    signOnline: (rrset) => online(`${rrset[0]?.name}|${rrset.map((r) => JSON.stringify(r)).join()}`, () => signNow(rrset)),
    denial(owner, types) {
      const id = denialId(owner, types);
      return (
        denials.get(id) ??
        online(id, () => {
          const nsec = [compactNsec(owner, nameToWire(owner), types, ttl)];
          return [...nsec, ...signNow(nsec)];
        })
      );
    },
  };
}

function denialId(owner: string, types: readonly number[]): string {
  return `${owner}|${[...types].sort((a, b) => a - b).join(",")}`;
}
