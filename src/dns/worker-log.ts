// What the node does about its DNS workers coming and going: log each event, and answer UDP
// itself (a SO_REUSEPORT socket beside theirs) while none of them is up.

import type { Logger } from "../core/log.ts";
import type { DnsServer } from "./server.ts";
import type { DnsWorkersOptions } from "./workers.ts";

export function workerSupervision(log: Logger, standIn: () => Promise<DnsServer>): Pick<DnsWorkersOptions, "onReady" | "onExit" | "onNoneUp" | "onSomeUp"> {
  let server: Promise<DnsServer | undefined> | undefined;
  return {
    onReady: (pid, path, fallbackReason) =>
      log.info("dns worker answering", { pid, udp_io: path, ...(fallbackReason ? { fallback_reason: fallbackReason } : {}) }),
    onExit: (pid, why, restartInMs) => log.error("a dns worker exited: restarting it", { pid, why, restart_in_ms: restartInMs }),
    onNoneUp() {
      log.warn("no dns worker is up: the node answers UDP until one is");
      server = standIn().catch((err) => void log.error("the node could not answer UDP in the workers' place", { error: String(err) }));
    },
    onSomeUp() {
      const closing = server;
      server = undefined;
      void closing?.then((s) => s?.close());
    },
  };
}
