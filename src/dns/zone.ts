// The zone one nameserver serves, precomputed from the site and the current assignment so that
// answering a query is a map lookup. Pure: no I/O.

import { isIP } from "node:net";
import type { Answer } from "dns-packet";
import type { AreaName, ServerName, Site } from "../core/types.ts";

/** Numeric RR types (RFC 1035 §3.2.2, RFC 3596, RFC 1995, RFC 8482). */
export const RRTYPE = { A: 1, NS: 2, SOA: 6, AAAA: 28, IXFR: 251, AXFR: 252, ANY: 255 } as const;

/** All records of one type at one name, in dns-packet's form; always sent or dropped whole. */
export type RRset = readonly Answer[];

export interface Zone {
  /** Apex, lower case, no trailing dot. */
  apex: string;
  /** The apex SOA RRset; its TTL equals its minimum, so it also serves as negative-answer authority. */
  soa: RRset;
  /** RRsets by owner name and numeric type; a node's first RRset is what ANY gets (RFC 8482). */
  nodes: ReadonlyMap<string, ReadonlyMap<number, RRset>>;
  /** Names owning nothing but with descendants that do: they exist, so NODATA rather than NXDOMAIN. */
  emptyNonTerminals: ReadonlySet<string>;
  /** A/AAAA of the in-zone nameservers, the additional section of NS answers. */
  glue: readonly RRset[];
}

export interface ZoneInput {
  site: Site;
  /** The area whose assignment this nameserver answers with. */
  servedArea: AreaName;
  /** Per area, the servers to hand out, in preference order. */
  serversByArea: ReadonlyMap<AreaName, readonly ServerName[]>;
  /** SOA serial; changes when the assignment changes. */
  serial: number;
}

export function buildZone({ site, servedArea, serversByArea, serial }: ZoneInput): Zone {
  const { zone: apex, ttlSeconds: ttl } = site;
  const served = site.areas.find((a) => a.name === servedArea);
  if (!served) throw new Error(`area ${servedArea} is not in the site`);

  const nodes = new Map<string, Map<number, RRset>>();
  const put = (name: string, type: number, records: RRset) => {
    if (records.length === 0) return;
    const node = nodes.get(name) ?? new Map<number, RRset>();
    nodes.set(name, node);
    // First writer wins: the balanced names and the apex records come before glue.
    if (!node.has(type)) node.set(type, records);
  };
  const putAddresses = (name: string, addresses: readonly string[]) => {
    const { v4, v6 } = splitFamilies(addresses);
    put(name, RRTYPE.A, v4.map((data) => ({ type: "A", name, ttl, data })));
    put(name, RRTYPE.AAAA, v6.map((data) => ({ type: "AAAA", name, ttl, data })));
  };

  const soa: RRset = [
    {
      type: "SOA",
      name: apex,
      ttl,
      data: {
        mname: served.nameserverHost,
        rname: site.hostmaster,
        serial: serial >>> 0, // 32-bit serial arithmetic (RFC 1982) wraps
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: ttl,
      },
    },
  ];
  const nsHosts = [...new Set(site.areas.map((a) => a.nameserverHost))];
  put(apex, RRTYPE.SOA, soa);
  put(apex, RRTYPE.NS, nsHosts.map((data) => ({ type: "NS", name: apex, ttl, data })));

  const addresses = servedAddresses(site, servedArea, serversByArea);
  for (const name of site.names) putAddresses(name, addresses);

  // Only in-zone nameservers need (and may have) their addresses here.
  const inZone = site.areas.filter((a) => isInZone(a.nameserverHost, apex));
  for (const area of inZone) putAddresses(area.nameserverHost, area.nameserverAddresses);
  const glue = [...new Set(inZone.map((a) => a.nameserverHost))].flatMap((h) => {
    const node = nodes.get(h);
    return [node?.get(RRTYPE.A), node?.get(RRTYPE.AAAA)].filter((r) => r !== undefined);
  });

  return { apex, soa, nodes, emptyNonTerminals: emptyNonTerminals(nodes.keys(), apex), glue };
}

export function isInZone(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}

/**
 * The served area's assigned servers' addresses; failing that its home servers', failing that every
 * server's: while it knows any server the nameserver must not answer empty.
 */
function servedAddresses(
  site: Site,
  area: AreaName,
  serversByArea: ReadonlyMap<AreaName, readonly ServerName[]>,
): string[] {
  const byName = new Map(site.servers.map((s) => [s.name, s]));
  const choices = [
    serversByArea.get(area) ?? [],
    site.servers.filter((s) => s.area === area).map((s) => s.name),
    site.servers.map((s) => s.name),
  ];
  for (const names of choices) {
    const addresses = [...new Set(names.flatMap((n) => byName.get(n)?.addresses ?? []))];
    if (addresses.length > 0) return addresses;
  }
  return [];
}

function splitFamilies(addresses: readonly string[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const address of new Set(addresses)) {
    const family = isIP(address);
    if (family === 4) v4.push(address);
    else if (family === 6) v6.push(address);
    else throw new Error(`not an IP address: ${address}`);
  }
  return { v4, v6 };
}

function emptyNonTerminals(names: Iterable<string>, apex: string): Set<string> {
  const owners = new Set(names);
  const result = new Set<string>();
  for (const name of owners) {
    if (!isInZone(name, apex)) continue;
    for (let n = name; n !== apex; ) {
      n = n.slice(n.indexOf(".") + 1);
      if (!owners.has(n)) result.add(n);
    }
  }
  return result;
}
