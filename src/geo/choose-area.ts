// The per-query hook the DNS answer path calls: reads the query's ECS option and source
// address, applies the answer rule, counts, and hands back the area and the ECS option to echo.

import type { AreaName } from "../core/types.ts";
import { parseAddress, type Address } from "./address.ts";
import { HASH_PREFIX_BITS, prefixHash } from "./client-hash.ts";
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
  /** Hash of the client's prefix, for an area's spill shares (client-hash.ts). */
  clientHash?: number;
  /** `options` with the scope widened to the hashed prefix, for areas with spill shares. */
  spilledOptions?: EdnsOptionBytes[];
}

/** Sources remembered; a full cache is emptied, so a flood of new sources costs one uncached decision each. */
const CACHE_MAX = 8192;

interface Decision {
  steering: Steering;
  choice: LocationChoice;
}

/** The IPv4 ECS cache has 2^this slots: direct-mapped, so a miss costs one store and nothing is ever swept. */
const ECS_SLOT_BITS = 12;

/**
 * The hand-made map (`map`, changed by a site document) and the learned one (`learned`) seldom
 * change (both read per query; a new one empties the caches), so decisions are
 * remembered: per source address (parsed once; with its decision for queries without ECS), and
 * per IPv4 ECS option when the map covered the client (then the resolver's address plays no part). A Map keyed by option
 * cost more to fill than deciding when a resolver sends many subnets; a fixed array does not.
 */
export function locationChooser(map: () => LocationMap, ownArea: AreaName, counts: SteeringCounts, learned?: () => LocationMap) {
  const bySource = new Map<string, { address: Address | undefined; decision: Decision }>();
  let mapNow = map();
  let learnedNow = learned?.();
  const ecsKeys = new Float64Array(1 << ECS_SLOT_BITS).fill(-1);
  const ecsDecisions: (Decision | undefined)[] = new Array(1 << ECS_SLOT_BITS);

  return ({ options, source }: { options: readonly EdnsOptionBytes[]; source?: string }): LocationChoice => {
    let ecsData: Uint8Array | undefined;
    for (const o of options) {
      if (o.code !== ECS_OPTION_CODE) continue;
      // RFC 7871 §7.1: at most one ECS option per query.
      if (ecsData) return malformed("ecs-repeated");
      ecsData = o.data;
    }
    if (map() !== mapNow) {
      mapNow = map();
      bySource.clear();
      ecsKeys.fill(-1);
    }
    if (learned && learned() !== learnedNow) {
      learnedNow = learned();
      bySource.clear();
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

    const ecsKey = ipv4EcsKey(ecsData);
    const slot = ecsKey === undefined ? -1 : Math.imul((ecsKey >>> 0) ^ (ecsData[2] as number), 0x9e3779b1) >>> (32 - ECS_SLOT_BITS);
    if (slot >= 0 && ecsKeys[slot] === ecsKey) return counted(ecsDecisions[slot] as Decision);
    const decoded = decodeEcs(ecsData);
    if (!decoded.ok) return malformed(decoded.reason);
    const d = decide(decoded.ecs, known.address);
    if (slot >= 0 && d.steering.by === "ecs") {
      ecsKeys[slot] = ecsKey as number;
      ecsDecisions[slot] = d;
    }
    return counted(d);
  };

  function decide(ecs: ClientSubnet | undefined, address: Address | undefined): Decision {
    const steering = steer(mapNow, ecs, address, ownArea, learnedNow);
    // Spill shares pick clients by the ECS subnet (then the answer holds only for the hashed
    // prefix: the scope covers it), else by the resolver's own network.
    const subnet = ecs && ecs.sourcePrefixLength > 0 ? Math.min(ecs.sourcePrefixLength, HASH_PREFIX_BITS[ecs.family]) : 0;
    const clientHash =
      ecs && subnet ? prefixHash(ecs.family, ecs.address, subnet) : address && prefixHash(address.family, address.bytes, HASH_PREFIX_BITS[address.family]);
    if (!ecs) return { steering, choice: { area: steering.area, clientHash } };
    const option = (scope: number) => [{ code: ECS_OPTION_CODE, data: encodeEcs(ecs, scope) }];
    return {
      steering,
      choice: {
        area: steering.area,
        options: option(steering.scope),
        unsteeredOptions: option(0),
        clientHash,
        spilledOptions: option(Math.max(steering.scope, subnet)),
      },
    };
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

/**
 * An IPv4 option's bytes as one number: length, source prefix and address (the query's scope
 * says nothing and is left out). Equal keys mean equal options, so a remembered option was valid.
 */
function ipv4EcsKey(d: Uint8Array): number | undefined {
  if (d.byteLength < 4 || d.byteLength > 8 || d[0] !== 0 || d[1] !== 1) return undefined;
  const address = (((d[4] ?? 0) << 24) | ((d[5] ?? 0) << 16) | ((d[6] ?? 0) << 8) | (d[7] ?? 0)) >>> 0;
  return (d.byteLength * 256 + (d[2] as number)) * 2 ** 32 + address;
}
