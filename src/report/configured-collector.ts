// The real collector a [reporter] table describes: its web source, bypass and content commands.
import { createCollector, type Collector } from "./collect.ts";
import type { ReporterConfig } from "./config.ts";
import { createWebSource } from "./web-sources.ts";

export function configuredCollector(cfg: ReporterConfig): Collector {
  return createCollector({
    source: createWebSource(cfg.source, cfg.timeoutMs),
    ...(cfg.bypassCommand !== undefined && { bypass: { command: cfg.bypassCommand, timeoutMs: cfg.timeoutMs } }),
    ...(cfg.releaseRoot !== undefined && { releaseRoot: cfg.releaseRoot }),
    ...(cfg.contentVersionCommand !== undefined && { contentVersion: { command: cfg.contentVersionCommand, timeoutMs: cfg.timeoutMs } }),
  });
}
