// What a question gets from a zone, for one area: the RRsets of each section and the rcode
// (RFC 1034 §4.3.2, RFC 2308, RFC 4592, RFC 8482). Pure; shared by the answerer and the templates.

import type { AreaName } from "../core/types.ts";
import { RRTYPE, type RRset } from "./rr.ts";
import { ownedBy, wildcardFor } from "./wildcard.ts";
import { isInZone, type ZoneCore } from "./zone-core.ts";

export type RcodeName = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED" | "BADVERS";

export interface Outcome {
  rcode: RcodeName;
  aa?: boolean;
  answer?: RRset[];
  authority?: RRset[];
  additional?: RRset[];
  /** The answer came from an area's own data: it holds only for the clients of that area. */
  steered?: boolean;
  /** A negative answer's last name and the types it holds (none: it does not exist), for DNSSEC's denial. */
  denied?: { owner: string; types: number[] };
}

const CLASS_IN = 1;
const CLASS_ANY = 255;
/** A CNAME chain inside the zone is followed this far; a loop ends here too. */
const CNAME_HOPS_MAX = 8;

/**
 * The answer to a question (name lower-cased, no trailing dot) for one area: the area's balanced
 * names first, then the rest of the zone. Zone transfers are the caller's.
 */
export function resolve(zone: ZoneCore, name: string, type: number, klass: number, area: AreaName): Outcome {
  if ((klass !== CLASS_IN && klass !== CLASS_ANY) || !isInZone(name, zone.apex)) return { rcode: "REFUSED" };
  const answer: RRset[] = [];
  let owner = name;
  let steered = false;
  for (let hop = 0; hop <= CNAME_HOPS_MAX; hop++) {
    const own = zone.balanced.get(area)?.get(owner);
    let node = own ?? zone.nodes.get(owner);
    steered ||= own !== undefined;
    // RFC 4592: only a name the zone does not hold at all may match a wildcard.
    const wild = node || zone.emptyNonTerminals.has(owner) ? undefined : wildcardFor(zone, owner, area);
    if (wild) {
      node = wild.node;
      steered ||= wild.steered;
    }
    if (!node) {
      if (zone.emptyNonTerminals.has(owner)) return nodata(zone, answer, owner, []);
      // RFC 6604: the rcode tells about the last name of the chain.
      return { rcode: "NXDOMAIN", aa: true, answer, authority: [zone.soa], denied: { owner, types: [] } };
    }
    // RFC 8482: ANY gets one RRset, not everything.
    const found = type === RRTYPE.ANY ? node.values().next().value : node.get(type);
    const rrset = found && wild ? ownedBy(found, owner) : found;
    if (rrset) {
      answer.push(rrset);
      return { rcode: "NOERROR", aa: true, answer, steered, additional: type === RRTYPE.NS && owner === zone.apex ? [...zone.glue] : [] };
    }
    const cname = node.get(RRTYPE.CNAME);
    if (!cname?.[0]) return { ...nodata(zone, answer, owner, [...node.keys()]), steered };
    answer.push(wild ? ownedBy(cname, owner) : cname);
    owner = String((cname[0] as { data: unknown }).data);
    // Out of the zone the resolver follows the chain itself.
    if (!isInZone(owner, zone.apex)) return { rcode: "NOERROR", aa: true, answer, steered };
  }
  return { rcode: "SERVFAIL", answer };
}

/** RFC 2308 §2.2: the name exists but not with this type; the SOA tells how long to cache that. */
function nodata(zone: ZoneCore, answer: RRset[], owner: string, types: number[]): Outcome {
  return { rcode: "NOERROR", aa: true, answer, authority: [zone.soa], denied: { owner, types } };
}
