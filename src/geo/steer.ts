// The answer rule, per query: which area's assignment to answer with, and the ECS scope the
// reply carries. Pure.

import type { AreaName } from "../core/types.ts";
import type { Address, Family } from "./address.ts";
import type { ClientSubnet } from "./ecs.ts";
import type { LocationMap } from "./location-map.ts";

export type SteeredBy = "ecs" | "resolver" | "learned" | "fallback";
export const STEERED_BY: readonly SteeredBy[] = ["ecs", "resolver", "learned", "fallback"];

export interface Steering {
  area: AreaName;
  by: SteeredBy;
  /** SCOPE PREFIX-LENGTH for the reply's ECS option, when the query had one. */
  scope: number;
  /** The resolver's address when the hand-made map did not cover it and it took part in the choice. */
  uncovered?: Address;
}

/**
 * An ECS scope never claims a block narrower than this: finer answers would split a resolver's
 * cache for no gain; RFC 7871 §11.1 recommends resolvers send no more than /24 (IPv4) or /56 (IPv6).
 */
export const SCOPE_MAX: Record<Family, number> = { 4: 24, 6: 56 };

/**
 * In order: the client's subnet from ECS when its source prefix is above 0; else the resolver's
 * own address; each looked up in the map; else the resolver's address in the learned map (what
 * the nameservers measured, issue 18); else this nameserver's own area (the thesis' rule:
 * resolvers that prefer the nearest nameserver find the nearest area).
 */
export function steer(map: LocationMap, ecs: ClientSubnet | undefined, resolver: Address | undefined, ownArea: AreaName, learned?: LocationMap): Steering {
  let scope = 0;
  if (ecs && ecs.sourcePrefixLength > 0) {
    // The option's address holds exactly the source prefix's bytes: all the lookup reads.
    const m = map.lookup(ecs.family, ecs.address, ecs.sourcePrefixLength);
    // The answer holds for every client in the block the lookup found uniform, matched or not:
    // a miss too is an answer the resolver may cache only for that block.
    scope = Math.min(m.uniformLength, SCOPE_MAX[ecs.family]);
    if (m.area) return { area: m.area, by: "ecs", scope };
  }
  if (resolver) {
    const m = map.lookup(resolver.family, resolver.bytes);
    if (m.area) return { area: m.area, by: "resolver", scope };
    const l = learned?.lookup(resolver.family, resolver.bytes);
    if (l?.area) return { area: l.area, by: "learned", scope, uncovered: resolver };
    return { area: ownArea, by: "fallback", scope, uncovered: resolver };
  }
  return { area: ownArea, by: "fallback", scope };
}
