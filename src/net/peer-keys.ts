// A node's identity key (the libp2p Ed25519 key behind its peer id): made here, and used to
// sign records that other nodes relay — a drain issued on one node travels in everyone's
// heartbeats, and the signature, checked against the issuer's peer id, keeps a relay from
// altering it.
import { generateKeyPairSync } from "node:crypto";
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromString } from "@libp2p/peer-id";
import type { PeerIdText } from "../core/types.ts";

/** libp2p's protobuf PrivateKey: field 1 (KeyType) = Ed25519 (1), field 2 = 64 bytes of
 * private seed and public key. Made with node:crypto so provisioning needs no await. */
const PROTOBUF_ED25519_PRIVATE = Uint8Array.of(0x08, 0x01, 0x12, 0x40);
const DER_KEY_BYTES = 32;

export function newIdentityKey(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ type: "pkcs8", format: "der" }).subarray(-DER_KEY_BYTES);
  const pub = publicKey.export({ type: "spki", format: "der" }).subarray(-DER_KEY_BYTES);
  return Buffer.concat([PROTOBUF_ED25519_PRIVATE, seed, pub]);
}

/** Peer id text of a stored identity key; throws on a corrupt key. */
export function peerIdOfKey(identityKey: Uint8Array): PeerIdText {
  // An Ed25519 public key prints as its identity multihash, which is the peer id.
  return privateKeyFromProtobuf(identityKey).publicKey.toString() as PeerIdText;
}

export type PeerSigner = (bytes: Uint8Array) => string;

export function peerSigner(identityKey: Uint8Array): PeerSigner {
  const key = privateKeyFromProtobuf(identityKey);
  return (bytes) => Buffer.from(key.sign(bytes) as Uint8Array).toString("base64url");
}

/** True when `signature` is `peer`'s signature of `bytes` (false for ids that carry no key). */
export function verifyPeer(peer: PeerIdText, bytes: Uint8Array, signature: string): boolean {
  try {
    const key = peerIdFromString(peer).publicKey;
    return !!key && (key.verify(bytes, Buffer.from(signature, "base64url")) as boolean);
  } catch {
    return false;
  }
}

/** True for a well-formed peer id that carries its public key (Ed25519 ids do). */
export function isPeerId(text: string): boolean {
  try {
    return !!peerIdFromString(text).publicKey;
  } catch {
    return false;
  }
}
