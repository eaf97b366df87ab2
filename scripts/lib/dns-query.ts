// A minimal in-process DNS client for benchmarks: one UDP query, the A records of the answer.
import { createSocket } from "node:dgram";
import packet from "dns-packet";

export function queryA(port: number, name: string, timeoutMs = 500, host = "127.0.0.1"): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const id = Math.floor(Math.random() * 65536);
    const t = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("message", (msg) => {
      clearTimeout(t);
      sock.close();
      try {
        const r = packet.decode(msg);
        resolve((r.answers ?? []).flatMap((a) => (a.type === "A" ? [String(a.data)] : [])));
      } catch (err) {
        reject(err);
      }
    });
    sock.send(packet.encode({ type: "query", id, flags: 0, questions: [{ type: "A", name }] }), port, host);
  });
}
