// A small site for the DNS tests: zone example.test, three areas with two servers each.

import {
  areaName,
  serverName,
  STATIC_TYPES,
  type AreaName,
  type ServerName,
  type ServerSpec,
  type Site,
  type StaticRecordSpec,
  type StaticType,
} from "../../../src/core/types.ts";
import { parseRecordData } from "../../../src/dns/records.ts";
import { buildZone, type Zone, type ZoneInput } from "../../../src/dns/zone.ts";
import type { DnssecInput } from "../../../src/dns/zone-signing.ts";
import type { RRset } from "../../../src/dns/rr.ts";
import { generateZoneKey } from "../../../src/dnssec/key.ts";
import { onlineCache, type OnlineLimits } from "../../../src/dnssec/online.ts";
import { signatureCache } from "../../../src/dnssec/signatures.ts";

export const EAST = areaName("east");
export const WEST = areaName("west");
export const NORTH = areaName("north");

/** East's addresses: east-2 also has an IPv6 one. */
export const EAST_V4 = ["10.0.1.1", "10.0.1.2"];
export const EAST_V6 = ["2001:db8::1:2"];

/** A static record as written in [[site.records]]: the fixture parses it, as the config validator does. */
export interface WrittenRecord {
  name: string;
  type: string;
  ttlSeconds: number;
  data: string;
}

export function fixtureSite(overrides: Partial<Omit<Site, "records">> & { records?: WrittenRecord[] } = {}): Site {
  const { records, ...rest } = overrides;
  return {
    zone: "example.test",
    names: ["www.example.test"],
    ttlSeconds: 30,
    loadThreshold: 0.8,
    loadHysteresis: 0.1,
    balanceMargin: 0.1,
    spillStep: 0.1,
    loadTerms: ["workers"],
    reportIntervalMs: 1000,
    roundIntervalMs: 5000,
    heartbeatIntervalMs: 1000,
    deadAfterMs: 10_000,
    tempfailReuseMs: 10_000,
    candidateDeadAfterMs: 3000,
    masterSettleMs: 1000,
    cooldownRounds: 3,
    maxStalenessMs: 30_000,
    contentGraceMs: 30_000,
    hostmaster: "hostmaster.example.test",
    secretFile: "/dev/null",
    version: 0,
    areas: [
      { name: EAST, nameserverHost: "ns-east.example.test", nameserverAddresses: ["127.0.0.1"] },
      { name: WEST, nameserverHost: "ns-west.example.test", nameserverAddresses: ["127.0.0.2"] },
      { name: NORTH, nameserverHost: "ns-north.example.test", nameserverAddresses: ["127.0.0.3"] },
    ],
    servers: [
      server("east-1", EAST, "10.0.1.1"),
      server("east-2", EAST, "10.0.1.2", "2001:db8::1:2"),
      server("west-1", WEST, "10.0.2.1"),
      server("west-2", WEST, "10.0.2.2"),
      server("north-1", NORTH, "10.0.3.1"),
      server("north-2", NORTH, "10.0.3.2"),
    ],
    ...rest,
    ...(records ? { records: records.map((r) => staticRecord(r, rest.zone ?? "example.test")) } : {}),
  };
}

function staticRecord(r: WrittenRecord, zone: string): StaticRecordSpec {
  if (!(STATIC_TYPES as readonly string[]).includes(r.type)) throw new Error(`fixture record ${r.name}: no type ${r.type}`);
  const parsed = parseRecordData(r.type as StaticType, r.data, zone);
  if (!parsed.ok) throw new Error(`fixture record ${r.name} ${r.type}: not ${parsed.expected}`);
  return { ...r, type: r.type as StaticType, rdata: parsed.data };
}

export function server(name: string, area: AreaName, ...addresses: string[]): ServerSpec {
  return { name: serverName(name), area, addresses };
}

/** East's zone with each area handed its home servers, unless told otherwise. */
export function fixtureZone(overrides: Partial<ZoneInput> = {}): Zone {
  const site = overrides.site ?? fixtureSite();
  const serversByArea = new Map<AreaName, ServerName[]>();
  for (const s of site.servers) serversByArea.set(s.area, [...(serversByArea.get(s.area) ?? []), s.name]);
  return buildZone({ site, servedArea: EAST, serversByArea, serial: 7, ...overrides });
}

/** East's zone where east's cluster has `count` IPv4 servers: a reply too big for plain UDP. */
export function crowdedZone(count = 30): Zone {
  const crowd = Array.from({ length: count }, (_, i) => server(`east-${i + 1}`, EAST, `10.1.${i >> 8}.${i & 255}`));
  const site = fixtureSite();
  return fixtureZone({ site: { ...site, servers: [...crowd, ...site.servers.filter((s) => s.area !== EAST)] } });
}

/** Signing for example.test with one fresh active key at `now` (Unix seconds). */
export function fixtureSigning(now = 1_800_000_000, online?: OnlineLimits): DnssecInput {
  const key = generateZoneKey("example.test", { created: now - 10, publish: now - 10, activate: now - 10 });
  return { keys: [key], now, cache: signatureCache(), online: onlineCache<RRset>(online), clockMs: () => now * 1000 };
}
