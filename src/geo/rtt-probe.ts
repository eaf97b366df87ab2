// One round-trip measurement: a DNS query (the site's SOA, recursion not desired) over UDP to a
// resolver's port 53. Any reply with our id from that address counts, REFUSED included: the
// resolver need not serve us, only answer. The only socket code of the learning part.

import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { encode } from "dns-packet";

/** The round trip in ms, or undefined when no reply came within the timeout or sending failed. */
export function probeRtt(o: { address: string; zone: string; timeoutMs: number; bindHost?: string }): Promise<number | undefined> {
  return new Promise((resolve) => {
    const v6 = isIPv6(o.address);
    const socket = dgram.createSocket(v6 ? "udp6" : "udp4");
    const id = Math.floor(Math.random() * 0x10000);
    const query = encode({ type: "query", id, flags: 0, questions: [{ type: "SOA", name: o.zone }] });
    let sentAt = 0;
    let finished = false;
    const done = (rtt: number | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      resolve(rtt);
    };
    const timer = setTimeout(() => done(undefined), o.timeoutMs);
    socket.on("error", () => done(undefined));
    socket.on("message", (msg, from) => {
      if (from.address !== o.address || from.port !== 53 || msg.byteLength < 12 || msg.readUInt16BE(0) !== id) return;
      done(performance.now() - sentAt);
    });
    // Bound to the nameserver's own address when it has one, so the resolver sees the address it queried.
    const bindHost = o.bindHost && isIPv6(o.bindHost) === v6 && o.bindHost !== "0.0.0.0" && o.bindHost !== "::" ? o.bindHost : undefined;
    socket.bind(0, bindHost, () => {
      sentAt = performance.now();
      socket.send(query, 53, o.address, (err) => err && done(undefined));
    });
  });
}
