// The zone one nameserver serves, precomputed from the site and the current assignment so that
// answering a query is a map lookup. It holds every area's answers for the balanced names, so a
// query can be answered for any area (the served one by default; issue 7 picks per query).
// Pure: no I/O.

import { isIP } from "node:net";
import type { Answer } from "dns-packet";
import type { AreaName, ServerName, Site } from "../core/types.ts";
import { RRTYPE, type RRset } from "./rr.ts";
import { spillKey, spillTable, type SpillRoute, type SpillTable } from "./spill-answer.ts";
import { buildTemplates, type Templates } from "./templates.ts";
import { isInZone, type ZoneCore } from "./zone-core.ts";
import { dnskeyRRset, signZone, type DnssecInput } from "./zone-signing.ts";
import { DEFAULT_MAX_ANSWER_ADDRESSES } from "./limits.ts";

export { RRTYPE, type RRset, type ZoneNode } from "./rr.ts";

export interface Zone extends ZoneCore {
  /** Per area, the balanced names' positive answers pre-encoded for the hot path. */
  templates: ReadonlyMap<AreaName, Templates>;
  /** Areas with spill shares: which answer key a client's hash picks (spill-answer.ts). */
  spills: ReadonlyMap<AreaName, SpillTable>;
  /** For a signed zone, the templates with RRSIGs, for queries with DO. */
  signedTemplates?: ReadonlyMap<AreaName, Templates>;
}

export interface ZoneInput {
  site: Site;
  /** The area whose assignment this nameserver answers with by default. */
  servedArea: AreaName;
  /** Per area, the servers to hand out, in preference order. */
  serversByArea: ReadonlyMap<AreaName, readonly ServerName[]>;
  /** SOA serial; changes when the assignment changes. */
  serial: number;
  /** Per area, its spill shares: balanced names answered with another cluster's servers. */
  spills?: ReadonlyMap<AreaName, readonly SpillRoute[]>;
  /** Keys and caches to sign the zone with (issue 21); absent: unsigned. */
  dnssec?: DnssecInput;
}

export function buildZone({ site, servedArea, serversByArea, serial, spills = new Map(), dnssec }: ZoneInput): Zone {
  const { zone: apex, ttlSeconds: ttl } = site;
  const served = site.areas.find((a) => a.name === servedArea);
  if (!served) throw new Error(`area ${servedArea} is not in the site`);
  const cap = site.maxAnswerAddresses ?? DEFAULT_MAX_ANSWER_ADDRESSES;

  const nodes = new Map<string, Map<number, RRset>>();
  const put = (into: Map<string, Map<number, RRset>>, name: string, type: number, records: RRset) => {
    if (records.length === 0) return;
    const node = into.get(name) ?? new Map<number, RRset>();
    into.set(name, node);
    // First writer wins: the apex records come before glue, glue before static records.
    if (!node.has(type)) node.set(type, records);
  };
  const putAddresses = (into: Map<string, Map<number, RRset>>, name: string, addresses: readonly string[], limit = Infinity) => {
    const { v4, v6 } = splitFamilies(addresses);
    put(
      into,
      name,
      RRTYPE.A,
      v4.slice(0, limit).map((data) => ({ type: "A", name, ttl, data })),
    );
    put(
      into,
      name,
      RRTYPE.AAAA,
      v6.slice(0, limit).map((data) => ({ type: "AAAA", name, ttl, data })),
    );
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
  put(nodes, apex, RRTYPE.SOA, soa);
  put(
    nodes,
    apex,
    RRTYPE.NS,
    nsHosts.map((data) => ({ type: "NS", name: apex, ttl, data })),
  );
  if (dnssec) put(nodes, apex, RRTYPE.DNSKEY, dnskeyRRset(apex, ttl, dnssec));

  // Only in-zone nameservers need (and may have) their addresses here.
  const inZone = site.areas.filter((a) => isInZone(a.nameserverHost, apex));
  for (const area of inZone) putAddresses(nodes, area.nameserverHost, area.nameserverAddresses);
  const glue = [...new Set(inZone.map((a) => a.nameserverHost))].flatMap((h) => {
    const node = nodes.get(h);
    return [node?.get(RRTYPE.A), node?.get(RRTYPE.AAAA)].filter((r) => r !== undefined);
  });

  for (const r of site.records ?? []) {
    const rrset = nodes.get(r.name)?.get(RRTYPE[r.type]) ?? [];
    nodes.get(r.name)?.delete(RRTYPE[r.type]);
    put(nodes, r.name, RRTYPE[r.type], [...rrset, { type: r.type, name: r.name, ttl: r.ttlSeconds, data: r.rdata } as Answer]);
  }

  // Each area's answers, and each spill share's under its own key.
  const keyed = new Map<AreaName, readonly ServerName[] | undefined>(site.areas.map((a) => [a.name, serversByArea.get(a.name)]));
  for (const [area, routes] of spills) for (const r of routes) keyed.set(spillKey(area, r.to), r.servers);
  const balanced = new Map<AreaName, Map<string, Map<number, RRset>>>();
  for (const [key, servers] of keyed) {
    const answers = new Map<string, Map<number, RRset>>();
    const addresses = areaAddresses(site, key, servers);
    for (const name of site.names) {
      if (site.answerScheme === "cname") {
        const target = areaOwnName(name, key, apex);
        put(answers, name, RRTYPE.CNAME, [{ type: "CNAME", name, ttl, data: target }]);
        putAddresses(nodes, target, addresses, cap);
      } else {
        putAddresses(answers, name, addresses, cap);
      }
    }
    balanced.set(key, answers);
  }

  const unsigned: ZoneCore = { apex, servedArea, soa, nodes, balanced, glue, emptyNonTerminals: emptyNonTerminals([...nodes.keys(), ...site.names], apex) };
  const base: ZoneCore = dnssec ? { ...unsigned, dnssec: signZone(unsigned, dnssec) } : unsigned;
  const templatesOf = (signed: boolean) => new Map([...keyed.keys()].map((k) => [k, buildTemplates(base, k, signed)] as const));
  return {
    ...base,
    templates: templatesOf(false),
    ...(dnssec ? { signedTemplates: templatesOf(true) } : {}),
    spills: new Map([...spills].filter(([, r]) => r.length > 0).map(([area, r]) => [area, spillTable(area, r)])),
  };
}

/** Thesis §8.2: the area's own name for a balanced name, e.g. www.area-east.example.com. */
export function areaOwnName(name: string, area: AreaName, apex: string): string {
  const relative = name === apex ? "" : `${name.slice(0, -apex.length - 1)}.`;
  return `${relative}area-${area}.${apex}`;
}

/**
 * The area's assigned servers' addresses; failing that its home servers', failing that every
 * server's: while it knows any server the nameserver must not answer empty.
 */
export function areaAddresses(site: Site, area: AreaName, assigned: readonly ServerName[] | undefined): string[] {
  const byName = new Map(site.servers.map((s) => [s.name, s]));
  const choices = [assigned ?? [], site.servers.filter((s) => s.area === area).map((s) => s.name), site.servers.map((s) => s.name)];
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
    for (let n = name; n !== apex;) {
      n = n.slice(n.indexOf(".") + 1);
      if (!owners.has(n)) result.add(n);
    }
  }
  return result;
}
