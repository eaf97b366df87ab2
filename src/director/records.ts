// What the Director wants each backend to hold: per area, the addresses of its assigned servers
// at the balanced names. Pure.
//   area-zones  thesis §8.2: `<name>.area-<area>.<zone>` in a zone of its own per area
//               (`area-<area>.<zone>`), each balanced name a CNAME to it set once by the operator;
//               a backend holds every area's zone.
//   views       the balanced names themselves in the site zone, one backend (a view of the
//               operator's server, with its own key) per area.

import { isIP } from "node:net";
import type { AreaName, ServerName, Site } from "../core/types.ts";
import { DEFAULT_MAX_ANSWER_ADDRESSES } from "../dns/limits.ts";
import { areaAddresses, areaOwnName } from "../dns/zone.ts";

export type DirectorLayout = "area-zones" | "views";

export interface DirectedRrset {
  /** The zone the UPDATE names (RFC 2136 §2.3). */
  zone: string;
  name: string;
  type: "A" | "AAAA";
  ttl: number;
  /** Addresses, in the assignment's preference order. */
  values: string[];
}

/** The zone that holds an area's records under the area-zones layout. */
export const areaZone = (site: Site, area: AreaName) => `area-${area}.${site.zone}`;

export function desiredRrsets(
  site: Site,
  layout: DirectorLayout,
  areas: readonly AreaName[],
  serversByArea: ReadonlyMap<AreaName, readonly ServerName[]>,
): DirectedRrset[] {
  const cap = site.maxAnswerAddresses ?? DEFAULT_MAX_ANSWER_ADDRESSES;
  return areas.flatMap((area) => {
    const addresses = areaAddresses(site, area, serversByArea.get(area));
    return site.names.flatMap((name) => {
      const zone = layout === "views" ? site.zone : areaZone(site, area);
      const owner = layout === "views" ? name : areaOwnName(name, area, site.zone);
      return (["A", "AAAA"] as const).map((type) => ({
        zone,
        name: owner,
        type,
        ttl: site.ttlSeconds,
        values: addresses.filter((a) => isIP(a) === (type === "A" ? 4 : 6)).slice(0, cap),
      }));
    });
  });
}
