// The EDNS Client Subnet option (RFC 7871 §6): decoded from and encoded to the option's data
// bytes (after its code and length). Pure; decoding never throws.

import { ADDRESS_BITS, zeroAfter, type Family } from "./address.ts";

/** EDNS option code of Client Subnet (RFC 7871 §6). */
export const ECS_OPTION_CODE = 8;

/** IANA address family numbers used in the option. */
const FAMILY_OF_CODE: Record<number, Family | undefined> = { 1: 4, 2: 6 };
const CODE_OF_FAMILY: Record<Family, number> = { 4: 1, 6: 2 };

export interface ClientSubnet {
  family: Family;
  sourcePrefixLength: number;
  /** As sent in the query; queries must send 0 and the reply sets its own. */
  scopePrefixLength: number;
  /** The address bytes as sent: exactly ceil(source / 8) of them. */
  address: Uint8Array;
}

export type EcsDecoded = { ok: true; ecs: ClientSubnet } | { ok: false; reason: string };

/**
 * RFC 7871 §7.2.1: a wrongly formatted option is answered with FORMERR, so each check below is
 * a reason to refuse: an unknown family, a source prefix longer than the family's address, too
 * few or too many address bytes, or address bits set beyond the source prefix.
 */
export function decodeEcs(data: Uint8Array): EcsDecoded {
  if (data.byteLength < 4) return { ok: false, reason: "ecs-short" };
  const family = FAMILY_OF_CODE[((data[0] as number) << 8) | (data[1] as number)];
  if (!family) return { ok: false, reason: "ecs-family" };
  const sourcePrefixLength = data[2] as number;
  if (sourcePrefixLength > ADDRESS_BITS[family]) return { ok: false, reason: "ecs-source-prefix" };
  const address = data.subarray(4);
  if (address.byteLength !== Math.ceil(sourcePrefixLength / 8)) return { ok: false, reason: "ecs-address-length" };
  if (!zeroAfter(address, sourcePrefixLength)) return { ok: false, reason: "ecs-address-bits" };
  return { ok: true, ecs: { family, sourcePrefixLength, scopePrefixLength: data[3] as number, address } };
}

/** The reply's option data: the query's family, source prefix and address, with our scope. */
export function encodeEcs(ecs: ClientSubnet, scopePrefixLength: number): Uint8Array {
  const out = new Uint8Array(4 + ecs.address.byteLength);
  out[1] = CODE_OF_FAMILY[ecs.family];
  out[2] = ecs.sourcePrefixLength;
  out[3] = scopePrefixLength;
  out.set(ecs.address, 4);
  return out;
}
