// A fixed kernel send buffer for the TCP listeners. Left to autotuning, Linux grows a socket's
// send buffer up to net.ipv4.tcp_wmem's maximum (4 MiB on some hosts): a client that pipelines
// queries and never reads then has megabytes of replies absorbed by the kernel, the server never
// sees them wait, and the cut-off for such clients (server.ts) depends on kernel tuning. Set on
// the listening socket, the size (and the lock against autotuning) is inherited by every
// accepted connection. Node's net API has no setter, so this calls setsockopt through libc.ts.

import type net from "node:net";
import { loadLibc, SOL_SOCKET } from "./libc.ts";

const SO_SNDBUF = 7;

/**
 * Fixes the send buffer of a listening TCP server's future connections at `bytes` (the kernel
 * doubles it for its own bookkeeping). Returns why it could not, or undefined when it did.
 */
export function fixSendBuffer(server: net.Server, bytes: number): string | undefined {
  const libc = loadLibc();
  if (typeof libc === "string") return libc;
  // Bun exposes the listening socket's descriptor on its handle; Node does not.
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return "the listening socket's descriptor is not exposed";
  const value = new Uint8Array(new Int32Array([bytes]).buffer);
  return libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, value, 4) === 0 ? undefined : `setsockopt(SO_SNDBUF) failed, errno ${libc.errno()}`;
}
