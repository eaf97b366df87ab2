// Tells a human: every notice is a log line, and, when configured, a JSON POST to each webhook
// (with a Slack-compatible `text`) and/or a command with the notice in its environment.
// The gate (ops/notify-policy.ts) drops repeats and caps the rate; delivery runs in the
// background with a timeout per attempt and doubling delays between attempts, so a slow or
// failing receiver never delays a round.
import type { NotifyConfig } from "../config/types.ts";
import { systemClock, type Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { ServerView } from "../core/types.ts";
import { backoffMs, NoticeGate, noticeText, type Notice } from "./notify-policy.ts";

const ATTEMPT_TIMEOUT_MS = 5000;
/** Deliveries waiting or running at once; beyond this a notice is logged only. */
const MAX_IN_FLIGHT = 64;

export interface Notifier {
  /** Phase One: a server asked for a human. */
  panic(server: ServerView): void;
  notify(n: Omit<Notice, "atMs">): void;
}

/** The JSON body a webhook receives. */
export interface NoticePayload {
  event: Notice["event"];
  server: string | null;
  cluster: string | null;
  area: string | null;
  reason: string;
  site: string;
  /** The node that sent it: the master when it decided to. */
  node: string;
  time: string;
  /** Notices held back by the rate limit since the previous one that went out. */
  suppressed: number;
  text: string;
}

export function createNotifier(cfg: NotifyConfig, from: { zone: string; node: string }, log: Logger, clock: Clock = systemClock): Notifier {
  const siteZone = from.zone;
  const gate = new NoticeGate(cfg);
  let inFlight = 0;

  const deliver = async (target: string, attempt: () => Promise<void>) => {
    inFlight++;
    try {
      for (let n = 1; ; n++) {
        try {
          await attempt();
          if (n > 1) log.info("notification delivered after retries", { target, attempts: n });
          return;
        } catch (err) {
          if (n >= cfg.attempts) return log.warn("notification not delivered; giving up", { target, attempts: n, error: String(err) });
          await Bun.sleep(backoffMs(n));
        }
      }
    } finally {
      inFlight--;
    }
  };

  const notify = (input: Omit<Notice, "atMs">) => {
    const n: Notice = { ...input, atMs: clock() };
    const verdict = gate.offer(n, n.atMs);
    if (verdict === "duplicate") return;
    if (verdict === "rate-limited") return log.warn("notification held back by max_per_minute", { event: n.event, server: n.server, area: n.area });
    const payload: NoticePayload = {
      event: n.event,
      server: n.server ?? null,
      cluster: n.cluster ?? null,
      area: n.area ?? null,
      reason: n.reason,
      site: siteZone,
      node: from.node,
      time: new Date(n.atMs).toISOString(),
      suppressed: gate.suppressed,
      text: noticeText(n, siteZone),
    };
    gate.suppressed = 0;
    log[n.event === "master-change" ? "info" : "error"]("notice for a human", {
      event: n.event,
      server: n.server,
      cluster: n.cluster,
      area: n.area,
      reason: n.reason,
    });
    if (inFlight >= MAX_IN_FLIGHT) return log.warn("too many notifications in flight; this one is logged only", { inFlight });
    const body = JSON.stringify(payload);
    for (const url of cfg.webhooks) {
      void deliver(webhookName(url), async () => {
        const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
        if (!r.ok) throw new Error(`answered HTTP ${r.status}`);
      });
    }
    const command = cfg.command;
    if (command) {
      void deliver("command", async () => {
        const env = {
          ...process.env,
          WALRUS_EVENT: n.event,
          WALRUS_SERVER: n.server ?? "",
          WALRUS_CLUSTER: n.cluster ?? "",
          WALRUS_AREA: n.area ?? "",
          WALRUS_REASON: n.reason,
          WALRUS_TIME: payload.time,
          WALRUS_TEXT: payload.text,
          WALRUS_JSON: body,
        };
        const proc = Bun.spawn(["/bin/sh", "-c", command], { env, stdin: "ignore", stdout: "ignore", stderr: "ignore", timeout: ATTEMPT_TIMEOUT_MS });
        const code = await proc.exited;
        if (code !== 0) throw new Error(`exited with ${code}`);
      });
    }
  };

  return {
    notify,
    panic: (s) => notify({ event: "panic", server: s.name, cluster: s.cluster, reason: s.reason ?? "PANIC" }),
  };
}

/** A webhook's path is often its secret (Slack, Teams): logs name the origin only. */
function webhookName(url: string): string {
  try {
    return `webhook ${new URL(url).origin}`;
  } catch {
    return "webhook";
  }
}
