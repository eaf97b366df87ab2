// A plain HTTP probe for servers with no status page: up when the URL answers with the
// expected status (and, when asked, a body containing the expected text). It has no figures.

import { probeErrorText } from "./probe-error.ts";
import { readCapped } from "./read-capped.ts";
import { down, type WebSource } from "./web-source.ts";

/** The body match looks at the start of the page only: a probe must stay cheap. */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

export interface HttpProbeInit {
  url: string;
  timeoutMs: number;
  expectStatus: number;
  /** Text the body must contain (plain substring, case-sensitive). */
  expectBody?: string;
}

export function httpProbe(init: HttpProbeInit): WebSource {
  return {
    async read() {
      try {
        const res = await fetch(init.url, { signal: AbortSignal.timeout(init.timeoutMs), redirect: "manual" });
        if (res.status !== init.expectStatus) {
          await res.body?.cancel();
          return down(`HTTP ${res.status}, expected ${init.expectStatus}`);
        }
        if (init.expectBody === undefined) {
          await res.body?.cancel();
          return { state: "up" };
        }
        const body = await readCapped(res, MAX_PROBE_BODY_BYTES);
        if (body.text.includes(init.expectBody)) return { state: "up" };
        const where = body.truncated ? ` in its first ${MAX_PROBE_BODY_BYTES / 1024} KiB` : "";
        return down(`body lacks ${JSON.stringify(init.expectBody)}${where}`);
      } catch (e) {
        return down(probeErrorText(e, init.timeoutMs));
      }
    },
  };
}
