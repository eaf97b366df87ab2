// One partition-and-heal trial seen from outside (issue 14): cut one area (its node and web
// servers) off from the rest for `cutMs`, heal, and ask every area's own nameserver from the
// client host every `everyMs` throughout, until `afterMs` past the heal. Every web server runs
// all along, so each area's answer must be its home cluster at every poll. Shared by
// test/integration/faults.test.ts (a few trials) and scripts/bench-heal.ts (many).
import type { LabSite } from "./lab-site.ts";

export interface HealTrial {
  polls: number;
  /** Polls at which an area's own nameserver answered something other than its home cluster. */
  departures: { area: string; got: string[]; afterHealMs?: number; kind: "another cluster" | "part of home" }[];
  /** Polls that got no reply at all. */
  unanswered: number;
}

export async function healTrial(s: LabSite, o: { cut: string; cutMs: number; afterMs: number; everyMs: number }): Promise<HealTrial> {
  const areas = s.site.areas.map((a) => a.name);
  const home = new Map(
    areas.map((a) => [
      a,
      s.site.servers
        .filter((x) => x.area === a)
        .map((x) => x.host)
        .sort()
        .join(),
    ]),
  );
  const side = [o.cut, ...s.site.servers.filter((x) => x.area === o.cut).map((x) => x.name)];
  const result: HealTrial = { polls: 0, departures: [], unanswered: 0 };
  const t0 = performance.now();
  let healAtMs: number | undefined;
  const poll = async () => {
    const afterHealMs = healAtMs === undefined ? undefined : Math.round(performance.now() - t0 - healAtMs);
    await Promise.all(
      areas.map(async (a) => {
        const got = await s.answer(a).catch(() => undefined);
        result.polls++;
        if (!got) result.unanswered++;
        else if (got.join() !== home.get(a)) {
          const kind = got.every((ip) => home.get(a)?.split(",").includes(ip)) ? "part of home" : "another cluster";
          result.departures.push({ area: a, got, afterHealMs, kind });
        }
      }),
    );
  };
  const pollUntil = async (endMs: number) => {
    while (performance.now() - t0 < endMs) {
      const started = performance.now();
      await poll();
      await Bun.sleep(Math.max(0, o.everyMs - (performance.now() - started)));
    }
  };
  await s.partition(side);
  try {
    await pollUntil(o.cutMs);
  } finally {
    await s.heal();
  }
  healAtMs = performance.now() - t0;
  await pollUntil(healAtMs + o.afterMs);
  return result;
}
