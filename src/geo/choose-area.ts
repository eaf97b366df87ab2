// The per-query hook the DNS answer path calls: reads the query's ECS option and source
// address, applies the answer rule, counts, and hands back the area and the ECS option to echo.

import type { AreaName } from "../core/types.ts";
import { parseAddress, type Address } from "./address.ts";
import { decodeEcs, ECS_OPTION_CODE, encodeEcs, type ClientSubnet } from "./ecs.ts";
import type { LocationMap } from "./location-map.ts";
import { steer } from "./steer.ts";
import type { SteeringCounts } from "./steering-counts.ts";

export interface EdnsOptionBytes {
  code: number;
  data: Uint8Array;
}

export interface LocationChoice {
  area: AreaName;
  /** For the reply's OPT: the ECS option with the scope of this answer, when the query had one. */
  options?: EdnsOptionBytes[];
  /** The same ECS option with scope 0, for answers that do not depend on the area (SOA, NS, errors). */
  unsteeredOptions?: EdnsOptionBytes[];
  /** The query's ECS option was malformed (RFC 7871 §7.2.1). */
  formerr?: boolean;
}

export function locationChooser(map: LocationMap, ownArea: AreaName, counts: SteeringCounts) {
  // Resolvers repeat: remembering the last source text skips most address parsing.
  let lastSource: string | undefined;
  let lastAddress: Address | undefined;
  return ({ options, source }: { options: readonly EdnsOptionBytes[]; source?: string }): LocationChoice => {
    let ecs: ClientSubnet | undefined;
    for (const o of options) {
      if (o.code !== ECS_OPTION_CODE) continue;
      // RFC 7871 §7.1: at most one ECS option per query.
      const d = ecs ? ({ ok: false, reason: "ecs-repeated" } as const) : decodeEcs(o.data);
      if (!d.ok) {
        counts.countMalformed(d.reason);
        return { area: ownArea, formerr: true };
      }
      ecs = d.ecs;
    }
    if (source !== lastSource) {
      lastSource = source;
      lastAddress = source === undefined ? undefined : parseAddress(source);
    }
    const s = steer(map, ecs, lastAddress, ownArea);
    counts.count(s);
    if (!ecs) return { area: s.area };
    return { area: s.area, options: [{ code: ECS_OPTION_CODE, data: encodeEcs(ecs, s.scope) }], unsteeredOptions: [{ code: ECS_OPTION_CODE, data: encodeEcs(ecs, 0) }] };
  };
}
