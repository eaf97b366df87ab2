// Client side of the control socket, for the CLI.
import { connect } from "node:net";
import { join } from "node:path";
import { SOCKET_FILE, type Reply, type Request } from "./protocol.ts";

export function controlRequest(stateDir: string, req: Request, timeoutMs = 5000): Promise<Reply> {
  const path = join(stateDir, SOCKET_FILE);
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = "";
    sock.setEncoding("utf8");
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new Error(`no answer from the node at ${path} within ${timeoutMs} ms`));
    });
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (c: string) => (buf += c));
    sock.on("end", () => {
      try {
        resolve(JSON.parse(buf) as Reply);
      } catch {
        reject(new Error(`unreadable answer from the node at ${path}`));
      }
    });
    sock.on("error", (err: NodeJS.ErrnoException) => {
      const hint = err.code === "ENOENT" || err.code === "ECONNREFUSED" ? " (is `walrus node` running with this config?)" : "";
      reject(new Error(`cannot reach the node at ${path}: ${err.code ?? err.message}${hint}`));
    });
  });
}
