// The few libc calls of the batched UDP path (recvmmsg/sendmmsg and a socket of our own), through
// bun:ffi. Linux with glibc only: elsewhere `loadLibc` says why not and the caller uses the
// portable path. A bad pointer here is a crash: the node itself makes only one plain call
// (setsockopt on its TCP listeners, send-buffer.ts); the pointer-heavy batched path runs in DNS
// worker processes.

import { dlopen, ptr, read } from "bun:ffi";

/** The calls the batched path makes; tests wrap them to inject errors (EAGAIN, ENOBUFS, EINTR, partial sends). */
export interface Syscalls {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  bind(fd: number, addr: Uint8Array, length: number): number;
  getsockname(fd: number, addr: Uint8Array, length: Uint8Array): number;
  recvmmsg(fd: number, vec: Uint8Array, count: number, flags: number): number;
  sendmmsg(fd: number, vec: Uint8Array, count: number, flags: number, offset: number): number;
  poll(fds: Uint8Array, count: number, timeoutMs: number): number;
  close(fd: number): number;
  /** errno of the last failed call. */
  errno(): number;
  /** The address of a buffer, for pointers written into the kernel's structs. */
  address(buffer: Uint8Array): number;
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEPORT = 15;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const MSG_WAITFORONE = 0x10000;
export const POLLIN = 1;
export const POLLOUT = 4;
export const EINTR = 4;
export const EAGAIN = 11;
export const ENOBUFS = 105;

/** libc's calls, or the reason they cannot be had here. */
export function loadLibc(): Syscalls | string {
  if (process.platform !== "linux") return `batched UDP needs Linux (this is ${process.platform})`;
  let lib;
  try {
    lib = dlopen("libc.so.6", {
      socket: { args: ["i32", "i32", "i32"], returns: "i32" },
      setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
      bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
      getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
      recvmmsg: { args: ["i32", "ptr", "u32", "i32", "ptr"], returns: "i32" },
      sendmmsg: { args: ["i32", "ptr", "u32", "i32"], returns: "i32" },
      poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
      close: { args: ["i32"], returns: "i32" },
      __errno_location: { args: [], returns: "ptr" },
    });
  } catch (err) {
    return `glibc's libc.so.6 could not be loaded: ${String(err)}`;
  }
  const s = lib.symbols;
  const errnoAt = s.__errno_location();
  if (!errnoAt) return "__errno_location returned no address";
  return {
    socket: (d, t, p) => s.socket(d, t, p),
    setsockopt: (fd, level, name, value, length) => s.setsockopt(fd, level, name, value, length),
    bind: (fd, addr, length) => s.bind(fd, addr, length),
    getsockname: (fd, addr, length) => s.getsockname(fd, addr, length),
    recvmmsg: (fd, vec, count, flags) => s.recvmmsg(fd, vec, count, flags, null),
    sendmmsg: (fd, vec, count, flags, offset) => s.sendmmsg(fd, ptr(vec, offset), count, flags),
    poll: (fds, count, timeoutMs) => s.poll(fds, count, timeoutMs),
    close: (fd) => s.close(fd),
    // The thread's errno lives at a fixed address; this process calls libc from one thread only.
    errno: () => read.i32(errnoAt, 0),
    address: (buffer) => ptr(buffer),
  };
}
