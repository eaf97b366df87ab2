// NOTIFY (RFC 1996): tells a secondary that the zone changed, so it transfers it now rather
// than at its next refresh. Over UDP, retried until the secondary answers.

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import type { HostPort } from "../core/host-port.ts";
import { concat, nameToWire, readU16, u16 } from "./wire.ts";

const OPCODE_NOTIFY = 4;
const AA = 0x0400;
const TYPE_SOA = 6;
const CLASS_IN = 1;

export function buildNotify(id: number, zone: string): Uint8Array {
  return concat([u16(id), u16((OPCODE_NOTIFY << 11) | AA), u16(1), u16(0), u16(0), u16(0), nameToWire(zone), u16(TYPE_SOA), u16(CLASS_IN)]);
}

/** RFC 1996 §3.6: resend until the secondary answers; resolves with its rcode. */
export async function sendNotify(target: HostPort, zone: string, o: { attempts: number; timeoutMs: number }): Promise<number> {
  const socket = dgram.createSocket(isIPv6(target.host) ? "udp6" : "udp4");
  try {
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      const id = Math.floor(Math.random() * 65536);
      const reply = new Promise<Uint8Array | undefined>((resolve) => {
        const timer = setTimeout(() => done(undefined), o.timeoutMs);
        const onMessage = (m: Buffer) => {
          if (m.byteLength >= 12 && readU16(m, 0) === id && m[2]! & 0x80) done(m);
        };
        const done = (m: Uint8Array | undefined) => {
          clearTimeout(timer);
          socket.off("message", onMessage);
          resolve(m);
        };
        socket.on("message", onMessage);
      });
      socket.send(buildNotify(id, zone), target.port, target.host);
      const m = await reply;
      if (m) return m[3]! & 0xf;
    }
    throw new Error(`no answer after ${o.attempts} attempts`);
  } finally {
    socket.close();
  }
}
