// The per-query hook the DNS answer path calls: reads the query's ECS option and source
// address, applies the answer rule, counts, and hands back the area and the ECS option to echo.

import type { AreaName } from "../core/types.ts";
import { parseAddress, type Address } from "./address.ts";
import { decodeEcs, ECS_OPTION_CODE, encodeEcs, type ClientSubnet } from "./ecs.ts";
import type { LocationMap } from "./location-map.ts";
import { steer, type Steering } from "./steer.ts";
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

/** Sources remembered; a full cache is emptied, so a flood of new sources costs one uncached decision each. */
const CACHE_MAX = 8192;

interface Decision {
  steering: Steering;
  choice: LocationChoice;
}

/**
 * Source addresses are parsed once, with their decision for queries without ECS: resolvers
 * repeat, and the map never changes under a running nameserver. ECS decisions are not cached:
 * a big resolver sends too many client subnets for a cache to pay (measured: inserting cost
 * more than deciding).
 */
export function locationChooser(map: LocationMap, ownArea: AreaName, counts: SteeringCounts) {
  const bySource = new Map<string, { address: Address | undefined; decision: Decision }>();

  return ({ options, source }: { options: readonly EdnsOptionBytes[]; source?: string }): LocationChoice => {
    let ecsData: Uint8Array | undefined;
    for (const o of options) {
      if (o.code !== ECS_OPTION_CODE) continue;
      // RFC 7871 §7.1: at most one ECS option per query.
      if (ecsData) return malformed("ecs-repeated");
      ecsData = o.data;
    }
    const key = source ?? "";
    let known = bySource.get(key);
    if (!known) {
      const address = source === undefined ? undefined : parseAddress(source);
      known = { address, decision: decide(undefined, address) };
      if (bySource.size >= CACHE_MAX) bySource.clear();
      bySource.set(key, known);
    }
    if (!ecsData) return counted(known.decision);

    const decoded = decodeEcs(ecsData);
    if (!decoded.ok) return malformed(decoded.reason);
    return counted(decide(decoded.ecs, known.address));
  };

  function decide(ecs: ClientSubnet | undefined, address: Address | undefined): Decision {
    const steering = steer(map, ecs, address, ownArea);
    if (!ecs) return { steering, choice: { area: steering.area } };
    const data = encodeEcs(ecs, steering.scope);
    const unsteered = data.slice();
    unsteered[3] = 0;
    return { steering, choice: { area: steering.area, options: [{ code: ECS_OPTION_CODE, data }], unsteeredOptions: [{ code: ECS_OPTION_CODE, data: unsteered }] } };
  }

  function counted(d: Decision): LocationChoice {
    counts.count(d.steering);
    return d.choice;
  }

  function malformed(reason: string): LocationChoice {
    counts.countMalformed(reason);
    return { area: ownArea, formerr: true };
  }
}
