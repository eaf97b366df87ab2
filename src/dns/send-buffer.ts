// A fixed kernel send buffer for the TCP listeners. Left to autotuning, Linux grows a socket's
// send buffer up to net.ipv4.tcp_wmem's maximum (4 MiB on some hosts): a client that pipelines
// queries and never reads then has megabytes of replies absorbed by the kernel, the server never
// sees them wait, and the cut-off for such clients (server.ts) depends on kernel tuning. Set on
// the listening socket, the size (and the lock against autotuning) is inherited by every
// accepted connection. Node's net API has no setter, so this calls setsockopt through bun:ffi.

import type net from "node:net";

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

type SetSockOpt = (fd: number, level: number, name: number, value: NodeJS.TypedArray, length: number) => number;

let setsockopt: SetSockOpt | null | undefined;

async function load(): Promise<SetSockOpt | null> {
  if (setsockopt !== undefined) return setsockopt;
  if (process.platform !== "linux") return (setsockopt = null);
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    const libc = dlopen("libc.so.6", { setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 } });
    setsockopt = (fd, level, name, value, length) => libc.symbols.setsockopt(fd, level, name, value, length);
  } catch {
    setsockopt = null;
  }
  return setsockopt;
}

/**
 * Fixes the send buffer of a listening TCP server's future connections at `bytes` (the kernel
 * doubles it for its own bookkeeping). Returns why it could not, or undefined when it did.
 */
export async function fixSendBuffer(server: net.Server, bytes: number): Promise<string | undefined> {
  const call = await load();
  if (!call) return "setsockopt is not reachable on this platform";
  // Bun exposes the listening socket's descriptor on its handle; Node does not.
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return "the listening socket's descriptor is not exposed";
  const rc = call(fd, SOL_SOCKET, SO_SNDBUF, new Int32Array([bytes]), 4);
  return rc === 0 ? undefined : `setsockopt(SO_SNDBUF) returned ${rc}`;
}
