// The operations listener (off unless [metrics] listen is set): /metrics for Prometheus, the
// live status page at /, and its data at /status.json. The only socket code of ops/.
import type { Registry } from "prom-client";
import type { HostPort } from "../core/host-port.ts";
import type { HistoryWanted, StatusReport } from "./status.ts";
import type { Logger } from "../core/log.ts";
import type { Clock } from "../core/clock.ts";
import { STATUS_PAGE_HTML } from "./status-page.ts";

export interface OpsHttp {
  url: string;
  stop(): void;
}

export function startOpsHttp(init: {
  listen: HostPort;
  registry: Registry;
  status: (want: HistoryWanted) => StatusReport;
  /** Brings the counters up to date before a scrape or a status. */
  fresh: () => Promise<void>;
  clock: Clock;
  log: Logger;
}): OpsHttp {
  const { registry, log } = init;
  const server = Bun.serve({
    hostname: init.listen.host,
    port: init.listen.port,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("only GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
      if (path === "/metrics") {
        await init.fresh();
        return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
      }
      if (path === "/status.json") {
        const want = historyWanted(new URL(req.url).searchParams, init.clock());
        if (want === undefined) return new Response("history_since and history_for_ms take a number of milliseconds\n", { status: 400 });
        await init.fresh();
        return Response.json(init.status(want), { headers: { "cache-control": "no-store" } });
      }
      if (path === "/") return new Response(STATUS_PAGE_HTML, { headers: { "content-type": "text/html; charset=utf-8" } });
      return new Response("not found: try /, /status.json or /metrics\n", { status: 404 });
    },
    error(err) {
      log.warn("ops http request failed", { error: err.message });
      return new Response("internal error\n", { status: 500 });
    },
  });
  const host = init.listen.host.includes(":") ? `[${init.listen.host}]` : init.listen.host;
  const url = `http://${host}:${server.port}/`;
  log.info("serving metrics and the status page", { url });
  return { url, stop: () => void server.stop(true) };
}

/** `?history_since=MS` (samples after that time) or `?history_for_ms=MS` (the last MS); neither: no history. */
function historyWanted(q: URLSearchParams, nowMs: number): HistoryWanted | undefined {
  const since = q.get("history_since");
  const forMs = q.get("history_for_ms");
  const n = Number(since ?? forMs);
  if (since === null && forMs === null) return {};
  if (!Number.isFinite(n)) return undefined;
  return { historySinceMs: since !== null ? n : nowMs - n };
}
