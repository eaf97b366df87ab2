// A zone's signing key (RFC 6605: ECDSA P-256 with SHA-256, algorithm 13): its DNSKEY data, key
// tag (RFC 4034 Appendix B) and DS record (RFC 4509: SHA-256). Pure, apart from making a key.

import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { nameToWire } from "../core/dns-name.ts";

export const ALGORITHM_ECDSAP256SHA256 = 13;
const PROTOCOL = 3;
/** Zone key with the secure-entry-point bit: one combined signing key (CSK) signs everything. */
export const FLAGS_CSK = 257;
const DIGEST_SHA256 = 2;
const COORDINATE_BYTES = 32;

/** When a key enters and leaves the zone (RFC 7583 §3.1), in Unix seconds; absent: never. */
export interface KeyTimes {
  created: number;
  /** From then its DNSKEY is in the zone. */
  publish?: number;
  /** From then it signs the zone's data. */
  activate?: number;
  /** From then it no longer signs the data (its DNSKEY stays until delete). */
  inactive?: number;
  /** From then it is out of the zone. */
  delete?: number;
}

export interface ZoneKey {
  zone: string;
  /** The public point x‖y, 64 bytes (RFC 6605 §4). */
  publicKey: Uint8Array;
  privateKey: KeyObject;
  tag: number;
  times: KeyTimes;
}

/** Makes a new key for `zone`. */
export function generateZoneKey(zone: string, times: KeyTimes): ZoneKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from(`${jwk.x}`, "base64url"), Buffer.from(`${jwk.y}`, "base64url")]);
  return zoneKey(zone, point, Buffer.from(`${jwk.d}`, "base64url"), times);
}

/** A key from its public point (64 bytes) and private scalar (32 bytes); throws when they do not fit P-256. */
export function zoneKey(zone: string, publicKey: Uint8Array, privateScalar: Uint8Array, times: KeyTimes): ZoneKey {
  const x = publicKey.subarray(0, COORDINATE_BYTES);
  const y = publicKey.subarray(COORDINATE_BYTES);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  const privateKey = createPrivateKey({ key: { kty: "EC", crv: "P-256", x: b64(x), y: b64(y), d: b64(privateScalar) }, format: "jwk" });
  return { zone, publicKey, privateKey, tag: keyTag(dnskeyData(publicKey)), times };
}

/** The key's private scalar, for its file. */
export function privateScalar(key: ZoneKey): Uint8Array {
  return Buffer.from(`${key.privateKey.export({ format: "jwk" }).d}`, "base64url");
}

/** DNSKEY RDATA (RFC 4034 §2.1): flags, protocol 3, algorithm, public key. */
export function dnskeyData(publicKey: Uint8Array, flags = FLAGS_CSK): Uint8Array {
  const out = new Uint8Array(4 + publicKey.byteLength);
  out.set([flags >> 8, flags & 0xff, PROTOCOL, ALGORITHM_ECDSAP256SHA256]);
  out.set(publicKey, 4);
  return out;
}

/** RFC 4034 Appendix B: the 16-bit checksum over the DNSKEY RDATA that names a key. */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.byteLength; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

export interface DsRecord {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Uint8Array;
}

/** RFC 4034 §5.1.4: the digest of the owner's canonical name and the DNSKEY RDATA. */
export function dsOf(key: ZoneKey): DsRecord {
  const digest = createHash("sha256").update(nameToWire(key.zone)).update(dnskeyData(key.publicKey)).digest();
  return { keyTag: key.tag, algorithm: ALGORITHM_ECDSAP256SHA256, digestType: DIGEST_SHA256, digest };
}

/** The DS in zone-file form, for the parent. */
export function dsText(key: ZoneKey, ttl?: number): string {
  const ds = dsOf(key);
  const hex = Buffer.from(ds.digest).toString("hex").toUpperCase();
  return `${key.zone}.${ttl === undefined ? "" : ` ${ttl}`} IN DS ${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${hex}`;
}

/** Whether the key's DNSKEY is in the zone at `now` (seconds). */
export function isPublished(key: ZoneKey, now: number): boolean {
  const t = key.times;
  return t.publish !== undefined && t.publish <= now && !(t.delete !== undefined && t.delete <= now);
}

/** Whether the key signs the zone's data at `now` (seconds). */
export function isActive(key: ZoneKey, now: number): boolean {
  const t = key.times;
  return isPublished(key, now) && t.activate !== undefined && t.activate <= now && !(t.inactive !== undefined && t.inactive <= now);
}
