// The node's Unix control socket (mode 0600 in the state directory): `walrus status` and
// `walrus drain` talk to the local node here.
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { Logger } from "../core/log.ts";
import { decodeRevocation, decodeSiteDocument } from "../net/messages.ts";
import { MAX_REQUEST_BYTES, type Reply, type Request } from "./protocol.ts";

type Handle = (r: Request) => Reply | Promise<Reply>;

export function startControlServer(path: string, handle: Handle, log: Logger): Promise<{ close(): void }> {
  rmSync(path, { force: true }); // a socket left by a crashed run
  const server: Server = createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.setTimeout(5000, () => sock.destroy());
    sock.on("error", () => sock.destroy());
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) return void sock.end(`${JSON.stringify({ ok: false, error: "request too large" })}\n`);
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      void answer(buf.slice(0, nl), handle, log).then((reply) => sock.end(`${JSON.stringify(reply)}\n`));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve({ close: () => server.close() });
    });
  });
}

async function answer(line: string, handle: Handle, log: Logger): Promise<Reply> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { ok: false, error: "request is not JSON" };
  }
  const r = req as Record<string, unknown>;
  try {
    if (r.op === "status") return await handle({ op: "status", history: r.history === true });
    if (r.op === "drain" && typeof r.server === "string" && typeof r.drained === "boolean" && typeof r.reason === "string") {
      return await handle({ op: "drain", server: r.server, drained: r.drained, reason: r.reason.slice(0, 200) });
    }
    if (r.op === "revoke") {
      const d = decodeRevocation(r.revocation);
      return d.ok ? await handle({ op: "revoke", revocation: d.value }) : { ok: false, error: `not a revocation (bad field: ${d.reason})` };
    }
    if (r.op === "site-show") return await handle({ op: "site-show" });
    if (r.op === "site-push") {
      const d = decodeSiteDocument(r.document);
      return d.ok ? await handle({ op: "site-push", document: d.value }) : { ok: false, error: `not a site document (bad field: ${d.reason})` };
    }
    return { ok: false, error: "unknown request" };
  } catch (err) {
    log.error("control request failed", { error: String(err) });
    return { ok: false, error: String(err) };
  }
}
