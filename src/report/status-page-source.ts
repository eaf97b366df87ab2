// A web source that fetches a status page and parses it: what Apache's and nginx's sources share.
// A 5xx or no answer means the server is down; a page that is fetched but makes no sense
// (4xx, too large, unparsable) means it is up but unreadable, which is not a reason to PANIC.

import type { WebStats } from "../core/types.ts";
import type { Parsed } from "./parsed.ts";
import { probeErrorText } from "./probe-error.ts";
import { readCapped } from "./read-capped.ts";
import { requestsPerSecond, type HitsSample } from "./web-rate.ts";
import { down, unreadable, type WebSource } from "./web-source.ts";

/** A status page is a few KiB; anything past this is not one. */
export const MAX_STATUS_BYTES = 64 * 1024;

export interface StatusPageInit {
  url: string;
  timeoutMs: number;
  parse: (body: string) => Parsed<WebStats>;
}

export function statusPageSource(init: StatusPageInit): WebSource {
  let prev: HitsSample | undefined;
  return {
    async read(nowMs) {
      let body: { text: string; truncated: boolean };
      try {
        // The timeout covers the body too: a server that stalls mid-page is as down as one that never answers.
        const res = await fetch(init.url, { signal: AbortSignal.timeout(init.timeoutMs) });
        if (!res.ok) {
          await res.body?.cancel();
          // e.g. 403/404: up, but the status page is not reachable
          return res.status >= 500 ? down(`HTTP ${res.status}`) : unreadable(`HTTP ${res.status}`);
        }
        body = await readCapped(res, MAX_STATUS_BYTES);
      } catch (e) {
        return down(probeErrorText(e, init.timeoutMs));
      }
      if (body.truncated) return unreadable(`status page larger than ${MAX_STATUS_BYTES / 1024} KiB`);
      const parsed = init.parse(body.text);
      if (!parsed.ok) return unreadable(`parse: ${parsed.error}`);
      const cur = { hits: parsed.value.hits, atMs: nowMs };
      const rate = requestsPerSecond(prev, cur);
      prev = cur;
      return { state: "up", stats: rate === undefined ? parsed.value : { ...parsed.value, requestsPerSecond: rate } };
    },
  };
}
