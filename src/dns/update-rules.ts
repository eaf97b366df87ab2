// What an accepted, signed UPDATE does to the records updates may change (RFC 2136 §3.2–§3.4):
// prerequisites checked, then every change checked against the key's allowance before any is
// applied, so an update is taken whole or not at all. Pure: the time and origin are arguments.

import type { DynamicRrset, DynamicType } from "../core/types.ts";
import { canonicalAddress } from "./wire.ts";

export { DYNAMIC_TYPES, type DynamicRrset, type DynamicType } from "../core/types.ts";
import type { ParsedUpdate, WireRr } from "./update-parse.ts";

const TYPE_CODE: Record<DynamicType, number> = { A: 1, TXT: 16, AAAA: 28 };
const TYPE_OF = new Map(Object.entries(TYPE_CODE).map(([k, v]) => [v, k as DynamicType]));
const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
const TYPE_ANY = 255;
/** An ACME token is 43 bytes; a bound keeps the gossiped set small. */
const MAX_VALUE_BYTES = 512;
const TYPE_SOA = 6;

export type DynamicSet = ReadonlyMap<string, DynamicRrset>;
export const dynamicKey = (r: { name: string; type: string }) => `${r.name}|${r.type}`;

export interface Allowance {
  /** Names the key may change, as patterns over the whole name. */
  names: readonly RegExp[];
  types: readonly DynamicType[];
}

export interface UpdateContext {
  apex: string;
  /** Names walrus answers itself (the apex, balanced names, the areas' own names). */
  reserved: (name: string) => boolean;
  allow: Allowance;
  records: DynamicSet;
  nowMs: number;
  origin: string;
}

export type UpdateRcode = "NOERROR" | "FORMERR" | "NOTAUTH" | "NOTZONE" | "REFUSED" | "YXDOMAIN" | "YXRRSET" | "NXDOMAIN" | "NXRRSET";
export type UpdateResult = { rcode: "NOERROR"; changed: DynamicRrset[] } | { rcode: Exclude<UpdateRcode, "NOERROR">; detail: string };

class Refusal extends Error {
  constructor(
    readonly rcode: Exclude<UpdateRcode, "NOERROR">,
    detail: string,
  ) {
    super(detail);
  }
}

export function applyUpdate(u: ParsedUpdate, ctx: UpdateContext): UpdateResult {
  try {
    // §3.1: the zone section names our zone.
    if (u.zone.type !== TYPE_SOA || u.zone.klass !== CLASS.IN) throw new Refusal("FORMERR", "zone section is not an IN SOA question");
    if (u.zone.name !== ctx.apex) throw new Refusal("NOTAUTH", `not authoritative for ${u.zone.name || "."}`);
    const live = new Map([...ctx.records].filter(([, r]) => r.values.length > 0));
    checkPrerequisites(u.prerequisites, live, ctx);
    // §3.4.1: every update is checked before any is applied.
    for (const rr of u.updates) checkUpdate(rr, ctx);
    const next = new Map<string, { ttl: number; values: string[] }>([...live].map(([k, r]) => [k, { ttl: r.ttl, values: [...r.values] }]));
    for (const rr of u.updates) applyOne(rr, next, ctx);
    const changed: DynamicRrset[] = [];
    for (const key of new Set([...live.keys(), ...next.keys()])) {
      const before = live.get(key);
      const after = next.get(key) ?? { ttl: 0, values: [] };
      if (before && before.ttl === after.ttl && same(before.values, after.values)) continue;
      if (!before && after.values.length === 0) continue;
      const [name, type] = key.split("|") as [string, DynamicType];
      changed.push({ name, type, ttl: after.ttl, values: after.values, atMs: ctx.nowMs, origin: ctx.origin });
    }
    return { rcode: "NOERROR", changed };
  } catch (err) {
    if (err instanceof Refusal) return { rcode: err.rcode, detail: err.message };
    throw err;
  }
}

function checkPrerequisites(prereqs: readonly WireRr[], live: DynamicSet, ctx: UpdateContext): void {
  const inUse = (name: string) => [...live.values()].some((r) => r.name === name);
  const expected = new Map<string, Set<string>>();
  for (const rr of prereqs) {
    if (rr.ttl !== 0) throw new Refusal("FORMERR", `prerequisite ${rr.name} has a TTL`);
    if (!inZone(rr.name, ctx.apex)) throw new Refusal("NOTZONE", `${rr.name} is outside ${ctx.apex}`);
    const type = TYPE_OF.get(rr.type);
    if (rr.klass === CLASS.ANY || rr.klass === CLASS.NONE) {
      if (rr.data.byteLength !== 0) throw new Refusal("FORMERR", `prerequisite ${rr.name} of class ${rr.klass} has data`);
      const exists = rr.type === TYPE_ANY ? inUse(rr.name) : !!type && live.has(dynamicKey({ name: rr.name, type }));
      if (rr.klass === CLASS.ANY && !exists) throw new Refusal(rr.type === TYPE_ANY ? "NXDOMAIN" : "NXRRSET", `${rr.name} does not exist`);
      if (rr.klass === CLASS.NONE && exists) throw new Refusal(rr.type === TYPE_ANY ? "YXDOMAIN" : "YXRRSET", `${rr.name} exists`);
    } else if (rr.klass === CLASS.IN) {
      if (!type) throw new Refusal("NXRRSET", `${rr.name}: no such RRset here`);
      const key = dynamicKey({ name: rr.name, type });
      expected.set(key, (expected.get(key) ?? new Set()).add(decodeData(type, rr.data)));
    } else throw new Refusal("FORMERR", `prerequisite class ${rr.klass}`);
  }
  // §3.2.3: value-dependent prerequisites compare whole RRsets.
  for (const [key, values] of expected) {
    if (!same([...values], live.get(key)?.values ?? [])) throw new Refusal("NXRRSET", `${key.replace("|", " ")} does not hold exactly the records given`);
  }
}

function checkUpdate(rr: WireRr, ctx: UpdateContext): void {
  if (!inZone(rr.name, ctx.apex)) throw new Refusal("NOTZONE", `${rr.name} is outside ${ctx.apex}`);
  if (rr.klass !== CLASS.IN && rr.klass !== CLASS.ANY && rr.klass !== CLASS.NONE) throw new Refusal("FORMERR", `update class ${rr.klass}`);
  if (rr.klass !== CLASS.IN && rr.ttl !== 0) throw new Refusal("FORMERR", `deletion of ${rr.name} has a TTL`);
  if (rr.klass === CLASS.ANY && rr.data.byteLength !== 0) throw new Refusal("FORMERR", `deletion of ${rr.name} has data`);
  if (ctx.reserved(rr.name)) throw new Refusal("REFUSED", `${rr.name} is answered by walrus itself`);
  if (!ctx.allow.names.some((p) => p.test(rr.name))) throw new Refusal("REFUSED", `the key may not change ${rr.name}`);
  if (rr.type === TYPE_ANY && rr.klass === CLASS.ANY) return; // delete the allowed types at the name
  const type = TYPE_OF.get(rr.type);
  if (!type || !ctx.allow.types.includes(type)) throw new Refusal("REFUSED", `the key may not change type ${type ?? rr.type} at ${rr.name}`);
  if (rr.klass === CLASS.IN && decodeData(type, rr.data).length > MAX_VALUE_BYTES)
    throw new Refusal("REFUSED", `${rr.name} ${type}: data longer than ${MAX_VALUE_BYTES} bytes`);
  if (rr.klass !== CLASS.ANY) decodeData(type, rr.data);
}

function applyOne(rr: WireRr, next: Map<string, { ttl: number; values: string[] }>, ctx: UpdateContext): void {
  if (rr.type === TYPE_ANY) {
    for (const type of ctx.allow.types) next.delete(dynamicKey({ name: rr.name, type }));
    return;
  }
  const type = TYPE_OF.get(rr.type) as DynamicType;
  const key = dynamicKey({ name: rr.name, type });
  if (rr.klass === CLASS.ANY) return void next.delete(key);
  const value = decodeData(type, rr.data);
  const set = next.get(key);
  if (rr.klass === CLASS.NONE) {
    if (set) set.values = set.values.filter((v) => v !== value);
    return;
  }
  // §3.4.2.2: an added record sets the RRset's TTL.
  if (set) {
    set.ttl = rr.ttl;
    if (!set.values.includes(value)) set.values.push(value);
  } else next.set(key, { ttl: rr.ttl, values: [value] });
}

/** Record data in presentation form: the address, or a TXT's strings joined. */
function decodeData(type: DynamicType, d: Uint8Array): string {
  if (type === "A") {
    if (d.byteLength !== 4) throw new Refusal("FORMERR", "A data is not 4 bytes");
    return [...d].join(".");
  }
  if (type === "AAAA") {
    if (d.byteLength !== 16) throw new Refusal("FORMERR", "AAAA data is not 16 bytes");
    return canonicalAddress(Array.from({ length: 8 }, (_, i) => ((d[2 * i]! << 8) | d[2 * i + 1]!).toString(16)).join(":"));
  }
  const parts: string[] = [];
  for (let at = 0; at < d.byteLength;) {
    const len = d[at]!;
    if (at + 1 + len > d.byteLength) throw new Refusal("FORMERR", "TXT string runs past its data");
    parts.push(new TextDecoder().decode(d.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  if (parts.length === 0) throw new Refusal("FORMERR", "TXT without a string");
  return parts.join("");
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v) => b.includes(v));
const inZone = (name: string, apex: string) => name === apex || name.endsWith(`.${apex}`);
