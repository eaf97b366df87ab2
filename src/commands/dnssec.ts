// `walrus dnssec …`: the zone's keys and a CSK rollover in RFC 7583's steps (§3.3.1 for the
// intervals): keygen --next publishes a new key; activate switches signing to it once its DNSKEY
// has reached every cache (TTL + propagation); the operator swaps the DS at the parent; retire
// takes the old key out once no cache can hold its signatures or the old DS. The commands write
// the key directory of the host they run on; copy it to every nameserver of the site.

import type { Site } from "../core/types.ts";
import { keyDirStamp, loadKeyDir, writeKey } from "../dnssec/key-dir.ts";
import { dsText, generateZoneKey, isActive, isPublished, type ZoneKey } from "../dnssec/key.ts";
import { formatTime } from "../dnssec/key-files.ts";

/** RFC 7583 Dprp: from a key file written to every nameserver answering with it (they look each second; copying takes some). */
export const PROPAGATION_SECONDS = 10;

export interface DnssecCommand {
  site: Site;
  /** Unix seconds. */
  now: number;
  /** Skip the waiting checks. */
  force?: boolean;
}

function dirOf(site: Site): string {
  if (!site.dnssecKeys) throw new Error("[site] dnssec_keys is not set: name the directory of the zone's keys there");
  return site.dnssecKeys;
}

function keysOf(site: Site): ZoneKey[] {
  return keyDirStamp(dirOf(site)) < 0 ? [] : loadKeyDir(dirOf(site), site.zone);
}

/** The longest TTL in the zone: how long a signature made by a retired key may stay in a cache. */
export function maxTtl(site: Site): number {
  return Math.max(site.ttlSeconds, ...(site.records ?? []).map((r) => r.ttlSeconds));
}

export function dnssecKeygen(c: DnssecCommand & { next: boolean }): string[] {
  const keys = keysOf(c.site);
  const active = keys.filter((k) => isActive(k, c.now));
  if (!c.next && active.length > 0) throw new Error(`key ${active[0]!.tag} already signs ${c.site.zone}: for a rollover use \`walrus dnssec keygen --next\``);
  if (c.next && active.length === 0) throw new Error(`no key signs ${c.site.zone} yet: make the first with \`walrus dnssec keygen\``);
  const key = generateZoneKey(c.site.zone, { created: c.now, publish: c.now, ...(c.next ? {} : { activate: c.now }) });
  const base = writeKey(dirOf(c.site), key);
  const ready = c.now + c.site.ttlSeconds + PROPAGATION_SECONDS;
  return [
    `key ${key.tag} written to ${base}.{key,private}; copy ${dirOf(c.site)} to every nameserver of the site`,
    c.next
      ? `published now; \`walrus dnssec activate ${key.tag}\` from ${formatTime(ready)} UTC (DNSKEY TTL ${c.site.ttlSeconds} s + ${PROPAGATION_SECONDS} s)`
      : `signing now; give the parent this DS: ${dsText(key)}`,
  ];
}

export function dnssecActivate(c: DnssecCommand & { tag: number }): string[] {
  const keys = keysOf(c.site);
  const key = keys.find((k) => k.tag === c.tag);
  if (!key || !isPublished(key, c.now)) throw new Error(`no published key ${c.tag} in ${dirOf(c.site)}`);
  const ready = (key.times.publish ?? c.now) + c.site.ttlSeconds + PROPAGATION_SECONDS;
  if (c.now < ready && !c.force)
    throw new Error(`key ${c.tag}'s DNSKEY may not be in every cache before ${formatTime(ready)} UTC (RFC 7583 Ipub); wait, or --force`);
  const previous = keys.filter((k) => k !== key && isActive(k, c.now));
  writeKey(dirOf(c.site), { ...key, times: { ...key.times, activate: c.now, inactive: undefined } });
  for (const k of previous) writeKey(dirOf(c.site), { ...k, times: { ...k.times, inactive: c.now } });
  return [
    `key ${c.tag} signs ${c.site.zone} now${previous.length ? `; ${previous.map((k) => k.tag).join(", ")} stays published and signs the DNSKEY RRset only` : ""}`,
    `at the parent, replace the DS with: ${dsText(key)}`,
    ...previous.map((k) => `then, after the parent's DS TTL has passed, \`walrus dnssec retire ${k.tag}\``),
  ];
}

export function dnssecRetire(c: DnssecCommand & { tag: number }): string[] {
  const key = keysOf(c.site).find((k) => k.tag === c.tag);
  if (!key || !isPublished(key, c.now)) throw new Error(`no published key ${c.tag} in ${dirOf(c.site)}`);
  if (isActive(key, c.now)) throw new Error(`key ${c.tag} still signs ${c.site.zone}: activate its successor first`);
  const ready = (key.times.inactive ?? c.now) + maxTtl(c.site) + PROPAGATION_SECONDS;
  if (c.now < ready && !c.force)
    throw new Error(`signatures by key ${c.tag} may stay in caches until ${formatTime(ready)} UTC (RFC 7583 Iret: the zone's longest TTL); wait, or --force`);
  writeKey(dirOf(c.site), { ...key, times: { ...key.times, inactive: key.times.inactive ?? c.now, delete: c.now } });
  return [`key ${c.tag} is out of ${c.site.zone}'s DNSKEY RRset now; make sure the parent no longer lists its DS`];
}

/** The DS of every published key (stdout, for the parent) and each key's state. */
export function dnssecDs(c: DnssecCommand): { ds: string[]; states: string[] } {
  const keys = keysOf(c.site).filter((k) => isPublished(k, c.now));
  if (keys.length === 0) throw new Error(`no published key in ${dirOf(c.site)}: make one with \`walrus dnssec keygen\``);
  return {
    ds: keys.map((k) => dsText(k)),
    states: keys.map(
      (k) => `key ${k.tag}: ${isActive(k, c.now) ? "signing" : k.times.inactive !== undefined ? "retiring (DNSKEY only)" : "published, not yet signing"}`,
    ),
  };
}
