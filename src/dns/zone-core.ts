// What resolving a name needs of a zone (zone.ts builds it; templates.ts and resolve.ts read it),
// apart from the zone builder so that neither reader imports it back.
import type { AreaName } from "../core/types.ts";
import type { RRset, ZoneNode } from "./rr.ts";

/** A zone before its templates are encoded: all that resolving needs. */
export interface ZoneCore {
  /** Apex, lower case, no trailing dot. */
  apex: string;
  /** The area answered for when nothing else chooses. */
  servedArea: AreaName;
  /** The apex SOA RRset; its TTL equals its minimum, so it also serves as negative-answer authority. */
  soa: RRset;
  /** Every name's RRsets except the balanced names'. */
  nodes: ReadonlyMap<string, ZoneNode>;
  /** Per area, the balanced names' nodes (addresses, or the CNAME of the §8.2 scheme). */
  balanced: ReadonlyMap<AreaName, ReadonlyMap<string, ZoneNode>>;
  /** Names owning nothing but with descendants that do: they exist, so NODATA rather than NXDOMAIN. */
  emptyNonTerminals: ReadonlySet<string>;
  /** A/AAAA of the in-zone nameservers, the additional section of NS answers. */
  glue: readonly RRset[];
  /** Present when the zone is signed (issue 21). */
  dnssec?: ZoneDnssec;
}

/** What answering needs of a signed zone; zone-signing.ts makes it. */
export interface ZoneDnssec {
  /** The RRSIGs of each RRset the zone was built with, by the RRset itself. */
  rrsigs: ReadonlyMap<RRset, RRset>;
  /** RRSIGs for an RRset made while answering (a wildcard's expansion); undefined over the online signing cap. */
  signOnline(rrset: RRset): RRset | undefined;
  /** The signed compact-denial NSEC at `owner` listing `types` (RFC 9824); undefined over the online signing cap. */
  denial(owner: string, types: readonly number[]): RRset | undefined;
}

export function isInZone(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}
