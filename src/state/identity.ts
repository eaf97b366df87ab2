// The node's persistent libp2p identity: created on first start (mode 0600), so the
// peer id, and with it the node's place in the controllers' order, survives restarts.
import { newIdentityKey, peerIdOfKey } from "../net/peer-keys.ts";
import type { StateDir } from "./store.ts";

const FILE = "identity.key";

export function loadOrCreateIdentity(state: StateDir): Uint8Array {
  const existing = state.read(FILE);
  if (existing) {
    try {
      peerIdOfKey(existing);
      return existing;
    } catch {
      throw new Error(`${state.path(FILE)} is not a valid identity key; move it away to create a new identity (the node gets a new peer id)`);
    }
  }
  const key = newIdentityKey();
  state.write(FILE, key, 0o600);
  return key;
}
