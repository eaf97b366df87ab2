// TSIG (RFC 8945) with HMAC-SHA256: signs a message and checks a signed one. Pure apart from
// node:crypto; the time is an argument. The TSIG record is always the last of the message.

import { createHmac, timingSafeEqual } from "node:crypto";
import { concat, nameToWire, readName, readU16, readU32, skipQuestion, skipRecord, u16, u32 } from "./wire.ts";

export const TSIG_TYPE = 250;
const CLASS_ANY = 255;
export const TSIG_ALGORITHM = "hmac-sha256";
/** RFC 8945 §10 recommends 300 s of allowed clock difference. */
export const TSIG_FUDGE_SECONDS = 300;

/** RFC 8945 §3: TSIG errors carried in the record's error field (with rcode NOTAUTH). */
export const TSIG_ERRORS = { BADSIG: 16, BADKEY: 17, BADTIME: 18 } as const;
export type TsigError = keyof typeof TSIG_ERRORS;

export interface TsigKey {
  /** Lower case, no trailing dot. */
  name: string;
  secret: Uint8Array;
}

export interface Signed {
  bytes: Uint8Array;
  /** Kept to check the reply (whose MAC covers this one). */
  mac: Uint8Array;
}

/** Signs a whole message (header, sections); `requestMac` when signing a reply. */
export function tsigSign(message: Uint8Array, key: TsigKey, nowSeconds: number, requestMac?: Uint8Array): Signed {
  const timeSigned = Math.floor(nowSeconds);
  const mac = hmac(key, message, { timeSigned, fudge: TSIG_FUDGE_SECONDS, error: 0, requestMac });
  const rdata = concat([
    nameToWire(TSIG_ALGORITHM),
    u48(timeSigned),
    u16(TSIG_FUDGE_SECONDS),
    u16(mac.byteLength),
    mac,
    message.subarray(0, 2),
    u16(0),
    u16(0),
  ]);
  const rr = concat([nameToWire(key.name), u16(TSIG_TYPE), u16(CLASS_ANY), u32(0), u16(rdata.byteLength), rdata]);
  const out = concat([message, rr]);
  out.set(u16(readU16(message, 10) + 1), 10);
  return { bytes: out, mac };
}

/**
 * RFC 8945 §5.3.2: the reply to a request whose key or signature failed carries a TSIG record
 * with the error and no MAC (nothing the server could sign with the requester's secret).
 */
export function tsigUnsigned(message: Uint8Array, keyName: string, nowSeconds: number, error: number): Uint8Array {
  const rdata = concat([nameToWire(TSIG_ALGORITHM), u48(Math.floor(nowSeconds)), u16(TSIG_FUDGE_SECONDS), u16(0), message.subarray(0, 2), u16(error), u16(0)]);
  const out = concat([message, nameToWire(keyName), u16(TSIG_TYPE), u16(CLASS_ANY), u32(0), u16(rdata.byteLength), rdata]);
  out.set(u16(readU16(message, 10) + 1), 10);
  return out;
}

export type Verified =
  | { ok: true; keyName: string; mac: Uint8Array; timeSigned: number; unsigned: Uint8Array }
  | { ok: false; error: "FORMERR" | "UNSIGNED" | TsigError; keyName?: string; detail: string; timeSigned?: number; tsigError?: number };

/**
 * Checks the TSIG of a message against the keys known by name. `requestMac` is given when the
 * message is a reply to one we signed. `unsigned` is the message as it was before signing.
 */
export function tsigVerify(message: Uint8Array, keys: ReadonlyMap<string, TsigKey>, nowSeconds: number, requestMac?: Uint8Array): Verified {
  let found: ReturnType<typeof findTsig>;
  try {
    found = findTsig(message);
  } catch (err) {
    return { ok: false, error: "FORMERR", detail: (err as Error).message };
  }
  if (!found) return { ok: false, error: "UNSIGNED", detail: "no TSIG record" };
  const { keyName, algorithm, timeSigned, fudge, mac, originalId, error, other, start } = found;
  const key = keys.get(keyName);
  if (!key || algorithm !== TSIG_ALGORITHM)
    return {
      ok: false,
      error: "BADKEY",
      keyName,
      detail: key ? `algorithm ${algorithm}, expected ${TSIG_ALGORITHM}` : `unknown key ${keyName}`,
      tsigError: error,
    };
  const unsigned = message.slice(0, start);
  unsigned.set(u16(readU16(message, 10) - 1), 10);
  unsigned.set(originalId, 0);
  const expected = hmac(key, unsigned, { timeSigned, fudge, error, other, requestMac });
  if (mac.byteLength !== expected.byteLength || !timingSafeEqual(mac, expected))
    return {
      ok: false,
      error: "BADSIG",
      keyName,
      detail: error ? `signature not valid; the signer reported TSIG error ${error}` : "signature not valid",
      tsigError: error,
    };
  if (Math.abs(nowSeconds - timeSigned) > fudge)
    return { ok: false, error: "BADTIME", keyName, detail: `signed at ${timeSigned}, now ${Math.floor(nowSeconds)}, fudge ${fudge} s`, timeSigned };
  return { ok: true, keyName, mac, timeSigned, unsigned };
}

/** The TSIG error field of a reply (signed or not): why a server refused our signature. */
export function tsigErrorOf(message: Uint8Array): number | undefined {
  try {
    return findTsig(message)?.error;
  } catch {
    return undefined;
  }
}

function findTsig(m: Uint8Array) {
  if (m.byteLength < 12) throw new Error("shorter than a DNS header");
  const counts = [readU16(m, 4), readU16(m, 6), readU16(m, 8), readU16(m, 10)] as const;
  if (counts[3] === 0) return undefined;
  let at = 12;
  for (let i = 0; i < counts[0]; i++) at = skipQuestion(m, at);
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records - 1; i++) at = skipRecord(m, at);
  const start = at;
  const owner = readName(m, at);
  at = owner.next;
  if (at + 10 > m.byteLength || readU16(m, at) !== TSIG_TYPE) return undefined;
  if (readU16(m, at + 2) !== CLASS_ANY) throw new Error("TSIG record not of class ANY");
  const rdlength = readU16(m, at + 8);
  at += 10;
  const end = at + rdlength;
  if (end !== m.byteLength) throw new Error("TSIG record is not the last thing in the message");
  const algorithm = readName(m, at);
  at = algorithm.next;
  if (at + 10 > end) throw new Error("TSIG record cut short");
  const timeSigned = readU16(m, at) * 2 ** 32 + readU32(m, at + 2);
  const fudge = readU16(m, at + 6);
  const macSize = readU16(m, at + 8);
  at += 10;
  if (at + macSize + 6 > end) throw new Error("TSIG MAC cut short");
  const mac = m.slice(at, at + macSize);
  at += macSize;
  const originalId = m.slice(at, at + 2);
  const error = readU16(m, at + 2);
  const otherLen = readU16(m, at + 4);
  at += 6;
  if (at + otherLen !== end) throw new Error("TSIG other data does not fit the record");
  return { keyName: owner.name, algorithm: algorithm.name, timeSigned, fudge, mac, originalId, error, other: m.slice(at, end), start };
}

function hmac(
  key: TsigKey,
  message: Uint8Array,
  v: { timeSigned: number; fudge: number; error: number; other?: Uint8Array; requestMac?: Uint8Array },
): Uint8Array {
  const h = createHmac("sha256", key.secret);
  if (v.requestMac) h.update(concat([u16(v.requestMac.byteLength), v.requestMac]));
  h.update(message);
  const other = v.other ?? new Uint8Array(0);
  // RFC 8945 §4.3.3: the TSIG variables, names in canonical (lower-case, uncompressed) form.
  h.update(
    concat([
      nameToWire(key.name),
      u16(CLASS_ANY),
      u32(0),
      nameToWire(TSIG_ALGORITHM),
      u48(v.timeSigned),
      u16(v.fudge),
      u16(v.error),
      u16(other.byteLength),
      other,
    ]),
  );
  return new Uint8Array(h.digest());
}

/** A key file as `tsig-keygen` (BIND, nsupdate -k) or `keymgr -t` (Knot) writes it. */
export function parseKeyFile(text: string): { ok: true; key: TsigKey } | { ok: false; expected: string } {
  const bind = /key\s+"?([A-Za-z0-9._-]+?)\.?"?\s*\{[^}]*algorithm\s+"?([a-z0-9-]+)"?\s*;[^}]*secret\s+"([A-Za-z0-9+/=]+)"\s*;/s.exec(text);
  const knot = /id:\s*"?([A-Za-z0-9._-]+?)\.?"?\s*\n\s*algorithm:\s*([a-z0-9-]+)\s*\n\s*secret:\s*"?([A-Za-z0-9+/=]+)"?/s.exec(text);
  const m = bind ?? knot;
  const expected = `a TSIG key as tsig-keygen writes it (key "name" { algorithm ${TSIG_ALGORITHM}; secret "base64"; };) or keymgr -t`;
  if (!m) return { ok: false, expected };
  const [, name, algorithm, secret] = m as unknown as [string, string, string, string];
  if (algorithm.toLowerCase() !== TSIG_ALGORITHM) return { ok: false, expected: `${expected}; algorithm ${algorithm} is not supported` };
  const bytes = Buffer.from(secret, "base64");
  if (bytes.byteLength < 16) return { ok: false, expected: `${expected}; the secret has only ${bytes.byteLength} bytes (at least 16)` };
  return { ok: true, key: { name: name.toLowerCase(), secret: new Uint8Array(bytes) } };
}

const u48 = (n: number) => concat([u16(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32)]);
