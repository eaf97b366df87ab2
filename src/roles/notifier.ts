// Phase One: a PANIC reaches a human. Always a log line; also a webhook (JSON POST with a
// Slack-compatible `text`) and/or a command with the event in its environment, when configured.
// Delivery runs in the background with a timeout, so a slow receiver never delays a round.
import type { NotifyConfig } from "../config/types.ts";
import type { Logger } from "../core/log.ts";
import type { ServerView } from "../core/types.ts";

const DELIVERY_TIMEOUT_MS = 5000;

export interface Notifier {
  panic(server: ServerView): void;
}

export function createNotifier(cfg: NotifyConfig, siteZone: string, log: Logger): Notifier {
  return {
    panic(s) {
      const event = { event: "panic", server: s.name, cluster: s.cluster, reason: s.reason ?? "", site: siteZone, time: new Date().toISOString() };
      const text = `walrus: server ${s.name} (cluster ${s.cluster}) of ${siteZone} PANIC: ${event.reason}`;
      log.error("PANIC: a human is needed", { server: s.name, cluster: s.cluster, reason: event.reason });
      if (cfg.webhook) {
        fetch(cfg.webhook, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...event, text }),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        })
          .then((r) => {
            if (!r.ok) log.warn("notification webhook answered an error", { status: r.status });
          })
          .catch((err: unknown) => log.warn("notification webhook failed", { error: String(err) }));
      }
      if (cfg.command) {
        try {
          const proc = Bun.spawn(["/bin/sh", "-c", cfg.command], {
            env: { ...process.env, WALRUS_EVENT: "panic", WALRUS_SERVER: s.name, WALRUS_CLUSTER: s.cluster, WALRUS_REASON: event.reason, WALRUS_TEXT: text },
            stdout: "ignore",
            stderr: "ignore",
            timeout: DELIVERY_TIMEOUT_MS,
          });
          proc.exited.then((code) => {
            if (code !== 0) log.warn("notification command failed", { code });
          });
        } catch (err) {
          log.warn("notification command could not start", { error: String(err) });
        }
      }
    },
  };
}
