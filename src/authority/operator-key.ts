// The operator key: an Ed25519 key pair made by `walrus keygen --operator`. Its private half
// stays off the site's hosts (on the operator's machine); every node is configured with the
// public half ("ed25519:" and the 32 raw bytes in base64url), which is all it needs to check
// grants, revocations and signed site documents.
import type { OperatorKeyText } from "../core/types.ts";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

const PREFIX = "ed25519:";
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows it. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const RAW_KEY_BYTES = 32;

export interface OperatorKeyPair {
  privateKeyPem: string;
  publicKey: OperatorKeyText;
}

export function newOperatorKey(): OperatorKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: publicKeyText(publicKey) };
}

function publicKeyText(k: KeyObject): OperatorKeyText {
  const der = k.export({ type: "spki", format: "der" });
  return `${PREFIX}${der.subarray(SPKI_PREFIX.length).toString("base64url")}` as OperatorKeyText;
}

/** Why `text` is not an operator public key, or undefined when it is one. */
export function operatorKeyProblem(text: string): string | undefined {
  if (!text.startsWith(PREFIX)) return `an operator public key starting with "${PREFIX}" (walrus keygen --operator prints it)`;
  const raw = Buffer.from(text.slice(PREFIX.length), "base64url");
  if (raw.byteLength !== RAW_KEY_BYTES || raw.toString("base64url") !== text.slice(PREFIX.length)) return `"${PREFIX}" and ${RAW_KEY_BYTES} bytes in base64url`;
  return undefined;
}

export interface OperatorSigner {
  publicKey: OperatorKeyText;
  sign(bytes: Uint8Array): string;
}

/** Loads a private key file's text; throws with what is wrong. */
export function operatorSigner(privateKeyPem: string): OperatorSigner {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`an Ed25519 key is expected, not ${key.asymmetricKeyType}`);
  return { publicKey: publicKeyText(createPublicKey(key)), sign: (bytes) => sign(null, bytes, key).toString("base64url") };
}

const verifiers = new Map<string, KeyObject>();

/** True when `signature` (base64url) is the key's Ed25519 signature of `bytes`. */
export function verifyOperator(key: OperatorKeyText, bytes: Uint8Array, signature: string): boolean {
  let k = verifiers.get(key);
  if (!k) {
    if (operatorKeyProblem(key)) return false;
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(key.slice(PREFIX.length), "base64url")]), format: "der", type: "spki" });
    verifiers.set(key, k);
  }
  try {
    return verify(null, bytes, k, Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}
