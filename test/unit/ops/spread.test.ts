// The history a node keeps (spread.ts), sampled on its timer from the rows status shows and, on
// a nameserver, its steering counts read as they grow.
import { expect, test } from "bun:test";
import { validateSpread } from "../../../src/config/spread.ts";
import { Fields } from "../../../src/core/fields.ts";
import { areaName } from "../../../src/core/types.ts";
import type { SteeringByArea } from "../../../src/geo/steering-counts.ts";
import { startSpread } from "../../../src/ops/spread.ts";
import { Scheduler } from "../../../src/sim/scheduler.ts";
import { simSite } from "../../sim/site-fixture.ts";

const site = simSite({ east: 1 });
const rows = {
  areas: [{ area: areaName("east"), cluster: areaName("east"), servers: [], reason: "home" as const, detail: "", spill: [] }],
  servers: [],
};

test("a nameserver's queries per area become each sample's rate, read from the counts as they grow", () => {
  const sched = new Scheduler();
  const steering: SteeringByArea = { east: { ecs: 0, resolver: 0, learned: 0, fallback: 0 } };
  const spread = startSpread({
    site,
    rules: validateSpread(new Fields("t.toml"), {}),
    rows: () => ({ rows, reports: new Map() }),
    steering,
    clock: sched.clock,
    timers: sched.timers(),
  });
  for (let s = 1; s <= 4; s++) {
    steering.east!.ecs += 30; // 30 + 10 a second, counted in place as the nameserver and its workers answer
    steering.east!.fallback += 10;
    sched.runUntil(s * site.reportIntervalMs);
  }
  const qps = spread.history().map((h) => h.areas.east?.qps);
  expect(qps).toEqual([null, 40, 40, 40]); // the first sample has no earlier one to count from
  spread.stop();
});

test("a node without a nameserver samples areas without a rate", () => {
  const sched = new Scheduler();
  const spread = startSpread({
    site,
    rules: validateSpread(new Fields("t.toml"), {}),
    rows: () => ({ rows, reports: new Map() }),
    clock: sched.clock,
    timers: sched.timers(),
  });
  sched.runUntil(3 * site.reportIntervalMs);
  expect(spread.history().map((h) => h.areas.east)).toEqual([0, 1, 2].map(() => ({ cluster: areaName("east"), qps: null })));
  spread.stop();
});
