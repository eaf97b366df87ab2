// The Director (thesis §3.5, §7): on the master, every assignment becomes the records each
// backend should hold; each backend is then brought there on its own (see backend.ts), so one
// slow or refusing primary never holds back the others.

import type { DirectorConfig } from "./config.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import type { AreaName, Assignment, ServerName, Site } from "../core/types.ts";
import { loadTsigKey } from "../dns/key-file.ts";
import { startBackend, type Backend, type BackendStatus } from "./backend.ts";
import { desiredRrsets } from "./records.ts";

export interface Director {
  /** An assignment this node published as master. */
  assign(a: Assignment): void;
  status(): BackendStatus[];
  stop(): void;
}

export function startDirector(init: {
  site: Site;
  cfg: DirectorConfig;
  isMaster: () => boolean;
  onFailing: (backend: string, reason: string) => void;
  clock: Clock;
  timers: Timers;
  log: Logger;
}): Director {
  const { site, cfg } = init;
  const known = new Set<string>(site.servers.map((s) => s.name));
  const backends: { area?: AreaName; backend: Backend }[] = cfg.backends.map((b, i) => {
    const backend = startBackend({
      spec: { name: b.name, server: b.server, key: loadTsigKey(b.keyFile, `director.backends[${i}].key_file`) },
      timeoutMs: cfg.timeoutMs,
      minIntervalMs: cfg.minIntervalMs,
      isMaster: init.isMaster,
      onFailing: (reason) => init.onFailing(b.name, `${b.server.host}:${b.server.port}: ${reason}`),
      clock: init.clock,
      timers: init.timers,
      log: init.log,
    });
    return { area: b.area, backend };
  });
  const allAreas = site.areas.map((a) => a.name);
  init.log.info("directing backends", { layout: cfg.layout, backends: cfg.backends.map((b) => `${b.name}=${b.server.host}:${b.server.port}`).join(" ") });

  return {
    assign(a) {
      const serversByArea = new Map<AreaName, ServerName[]>(a.areas.map((x) => [x.area, x.servers.filter((s) => known.has(s))]));
      for (const { area, backend } of backends) backend.want(desiredRrsets(site, cfg.layout, area ? [area] : allAreas, serversByArea), a.atMs);
    },
    status: () => backends.map((b) => b.backend.status()),
    stop() {
      for (const b of backends) b.backend.stop();
    },
  };
}
