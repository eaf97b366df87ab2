// A stand-in for an Apache web server with mod_status, for the demo and the tests.
//   bun scripts/demo-web.ts --name web-east-1 --host 127.0.0.11 --port 8080 [--max-workers 16] [--root DIR]
// GET  /                       "served by NAME" (counted in Total Accesses); with --root, once
//                              DIR/current exists (a release the replicator switched to): its
//                              files, / as index.html, as Apache with DocumentRoot DIR/current
// GET  /server-status?auto     Apache 2.4 ?auto page; without ?auto, an HTML page as Apache gives
// POST /demo/load?busy=N       sets BusyWorkers (0..max-workers)
// POST /demo/broken?on=1       makes /server-status malformed (on=0 repairs it)
// Port 0 picks a free port; the "listening" line shows the real one.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8080" },
    "max-workers": { type: "string", default: "16" },
    root: { type: "string" },
  },
});

const name = values.name;
const port = Number(values.port);
const maxWorkers = Number(values["max-workers"]);
if (!name || !Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(maxWorkers) || maxWorkers < 1) {
  console.error("usage: bun scripts/demo-web.ts --name NAME [--host ADDR] [--port N] [--max-workers N] [--root DIR]");
  process.exit(2);
}

const startedMs = Date.now();
let hits = 0;
let bytesSent = 0;
let busy = 1;
let broken = false;

function autoPage(host: string): string {
  const uptime = Math.max(1, Math.round((Date.now() - startedMs) / 1000));
  const board = "W".repeat(busy) + "_".repeat(maxWorkers - busy);
  return [
    host,
    "ServerVersion: Apache/2.4.62 (Unix) (walrus demo)",
    "ServerMPM: event",
    `ServerUptimeSeconds: ${uptime}`,
    `Total Accesses: ${hits}`,
    `Total kBytes: ${Math.floor(bytesSent / 1024)}`,
    `Uptime: ${uptime}`,
    `ReqPerSec: ${(hits / uptime).toFixed(6)}`,
    `BusyWorkers: ${busy}`,
    `IdleWorkers: ${maxWorkers - busy}`,
    `Scoreboard: ${board}`,
    "",
  ].join("\n");
}

// What a half-written or corrupted status page looks like: numbers gone bad, no Scoreboard.
const BROKEN_PAGE = "Total Accesses: 12\nBusyWorkers: many\nIdleWorkers: ?\n";

const htmlPage = () =>
  `<!DOCTYPE html>\n<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for ${name}</h1>` +
  `<dl><dt>${busy} requests currently being processed, ${maxWorkers - busy} idle workers</dt></dl></body></html>\n`;

/** A document of the release served, or undefined before the first release (no DIR/current). */
async function fromRelease(pathname: string): Promise<Response | undefined> {
  if (values.root === undefined) return undefined;
  const current = join(values.root, "current");
  if (!existsSync(current)) return undefined;
  let path: string;
  try {
    path = join(current, decodeURIComponent(pathname), pathname.endsWith("/") ? "index.html" : "");
  } catch {
    return text("bad path\n", 400);
  }
  // An encoded "../" survives URL parsing: nothing outside the release is served.
  if (!path.startsWith(`${current}/`)) return text("not found\n", 404);
  const file = Bun.file(path);
  if (!(await file.exists())) return text("not found\n", 404);
  hits++;
  bytesSent += file.size;
  return new Response(file);
}

const text = (body: string, status = 200) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

const server = Bun.serve({
  hostname: values.host,
  port,
  async fetch(req) {
    const url = new URL(req.url);
    const route = `${req.method} ${url.pathname}`;
    if ((req.method === "GET" || req.method === "HEAD") && url.pathname !== "/server-status") {
      const released = await fromRelease(url.pathname);
      if (released) return released;
    }
    if (route === "GET /") {
      hits++;
      const body = `served by ${name}\n`;
      bytesSent += body.length;
      return text(body);
    }
    if (route === "GET /server-status") {
      if (broken) return text(BROKEN_PAGE);
      if (url.searchParams.has("auto")) return text(autoPage(url.hostname));
      return new Response(htmlPage(), { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (route === "POST /demo/load") {
      const n = Number(url.searchParams.get("busy"));
      if (!Number.isInteger(n) || n < 0 || n > maxWorkers) return text(`busy must be 0..${maxWorkers}\n`, 400);
      busy = n;
      return text(`busy ${busy}\n`);
    }
    if (route === "POST /demo/broken") {
      broken = url.searchParams.get("on") === "1";
      return text(`broken ${broken}\n`);
    }
    return text("not found\n", 404);
  },
});

const shown = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
console.log(`listening http://${shown}:${server.port} ${name}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.stop(true);
    process.exit(0);
  });
}
