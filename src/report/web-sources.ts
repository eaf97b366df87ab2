// Builds the web source a [reporter] table asks for.

import type { WebSourceConfig } from "./config.ts";
import { apacheSource } from "./apache-source.ts";
import { httpProbe } from "./http-probe.ts";
import { nginxSource } from "./nginx-source.ts";
import { tcpProbe } from "./tcp-probe.ts";
import type { WebSource } from "./web-source.ts";

export function createWebSource(cfg: WebSourceConfig, timeoutMs: number): WebSource {
  switch (cfg.kind) {
    case "apache":
      return apacheSource({ statusUrl: cfg.statusUrl, timeoutMs, ...(cfg.maxWorkers !== undefined && { maxWorkers: cfg.maxWorkers }) });
    case "nginx":
      return nginxSource({ statusUrl: cfg.statusUrl, timeoutMs, capacity: cfg.capacity });
    case "http":
      return httpProbe({ url: cfg.url, timeoutMs, expectStatus: cfg.expectStatus, ...(cfg.expectBody !== undefined && { expectBody: cfg.expectBody }) });
    case "tcp":
      return tcpProbe({ address: cfg.address, timeoutMs });
  }
}
