// Config-time check (thesis §8.2): does each cluster's full answer fit one UDP datagram? A
// larger one is truncated and every resolver must retry over TCP. Pure.

import type { AreaName, Site } from "../core/types.ts";
import { isIP } from "node:net";
import { DEFAULT_MAX_ANSWER_ADDRESSES } from "./limits.ts";
import { areaOwnName } from "./zone.ts";

export interface Oversized {
  cluster: AreaName;
  type: "A" | "AAAA";
  addresses: number;
  bytes: number;
}

const HEADER_BYTES = 12;
const OPT_BYTES = 11;
/** A compressed owner (2), type, class, TTL, length (10). */
const RR_FIXED_BYTES = 12;
/** An RRSIG's data before the signer's name (RFC 4034 §3.1), and a P-256 signature (RFC 6605). */
const RRSIG_FIXED_BYTES = 18;
const SIGNATURE_BYTES = 64;

/**
 * The clusters whose answer to the longest balanced name, with every address (up to the cap),
 * exceeds `udpSize`; for a signed zone, with its RRSIGs, as validating resolvers ask (DO).
 */
export function oversizedClusters(site: Site, udpSize: number): Oversized[] {
  const cap = site.maxAnswerAddresses ?? DEFAULT_MAX_ANSWER_ADDRESSES;
  const result: Oversized[] = [];
  for (const area of site.areas) {
    const addresses = [...new Set(site.servers.filter((s) => s.area === area.name).flatMap((s) => s.addresses))];
    for (const [type, family, rdata] of [
      ["A", 4, 4],
      ["AAAA", 6, 16],
    ] as const) {
      const n = Math.min(cap, addresses.filter((a) => isIP(a) === family).length);
      if (n === 0) continue;
      const bytes = Math.max(
        ...site.names.map((name) => {
          // The CNAME's target is compressed: its labels before the apex, then a pointer to the apex in the question.
          const target = areaOwnName(name, area.name, site.zone);
          const cname = site.answerScheme === "cname" ? RR_FIXED_BYTES + target.length - site.zone.length + 2 : 0;
          // The signer's name is never compressed (RFC 4034 §3.1.7).
          const rrsig = site.dnssecKeys ? RR_FIXED_BYTES + RRSIG_FIXED_BYTES + site.zone.length + 2 + SIGNATURE_BYTES : 0;
          const signatures = cname > 0 ? 2 * rrsig : rrsig;
          return HEADER_BYTES + name.length + 2 + 4 + cname + n * (RR_FIXED_BYTES + rdata) + signatures + OPT_BYTES;
        }),
      );
      if (bytes > udpSize) result.push({ cluster: area.name, type, addresses: n, bytes });
    }
  }
  return result;
}
