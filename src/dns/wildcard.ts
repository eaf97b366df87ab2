// Wildcards (RFC 4592): a name the zone does not hold is answered from `*.<closest encloser>`
// when that exists, its records owned by the name asked for. The closest encloser is the
// nearest ancestor that exists: owning records, a balanced name, or an empty non-terminal
// (§3.3.1). A name that exists, even with nothing of the asked type, is never synthesised.
// Pure.
import type { AreaName } from "../core/types.ts";
import type { RRset, ZoneNode } from "./rr.ts";
import type { ZoneCore } from "./zone-core.ts";

export interface Synthesised {
  node: ZoneNode;
  /** It came from a balanced wildcard: the answer depends on the area. */
  steered: boolean;
}

/** The wildcard node that answers `name` (which the zone does not hold) for `area`, if any. */
export function wildcardFor(zone: ZoneCore, name: string, area: AreaName): Synthesised | undefined {
  const own = zone.balanced.get(area);
  const exists = (n: string) => own?.has(n) || zone.nodes.has(n) || zone.emptyNonTerminals.has(n);
  for (let encloser = name; encloser !== zone.apex;) {
    encloser = encloser.slice(encloser.indexOf(".") + 1);
    if (!exists(encloser)) continue;
    const source = `*.${encloser}`;
    const balanced = own?.get(source);
    const node = balanced ?? zone.nodes.get(source);
    return node && { node, steered: balanced !== undefined };
  }
  return undefined;
}

/** The wildcard's records, owned by the name asked for (§3.3.1: the owner is the QNAME). */
export function ownedBy(rrset: RRset, name: string): RRset {
  return rrset.map((r) => ({ ...r, name }));
}
