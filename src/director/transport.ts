// One DNS exchange over TCP (RFC 1035 §4.2.2, RFC 7766): a fresh connection per message, so a
// reply of any size fits and a primary restarted meanwhile is simply connected to again.

import { connect } from "node:net";
import type { HostPort } from "../core/host-port.ts";

/** A reply larger than this is not a reply to anything the Director sends. */
const MAX_REPLY_BYTES = 65_535;

export function exchangeTcp(server: HostPort, message: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let got = Buffer.alloc(0);
    const done = (err: Error | undefined, reply?: Uint8Array) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply as Uint8Array);
    };
    const timer = setTimeout(() => done(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => {
      const framed = Buffer.alloc(2 + message.byteLength);
      framed.writeUInt16BE(message.byteLength, 0);
      framed.set(message, 2);
      socket.write(framed);
    });
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.byteLength > MAX_REPLY_BYTES + 2) return done(new Error("reply too large"));
      if (got.byteLength >= 2 && got.byteLength >= 2 + got.readUInt16BE(0)) done(undefined, new Uint8Array(got.subarray(2, 2 + got.readUInt16BE(0))));
    });
    socket.on("error", (err) => done(err));
    socket.on("close", () => done(new Error("connection closed before a reply")));
  });
}
