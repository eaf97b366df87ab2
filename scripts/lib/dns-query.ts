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

/** What a test reads from dig's default output: the rcode, the AD flag and the answer lines split into fields. */
export function parseDig(stdout: string): { status: string; ad: boolean; answers: string[][]; text: string } {
  const answers = stdout
    .split("\n")
    .filter((l) => l && !l.startsWith(";"))
    .map((l) => l.split(/\s+/));
  const flags = /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.split(" ") ?? [];
  return { status: /status: (\w+)/.exec(stdout)?.[1] ?? "none", ad: flags.includes("ad"), answers, text: stdout };
}
