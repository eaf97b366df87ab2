// `walrus simulate`: a site on paper. Runs the real controller, membership and nameserver
// logic over a simulated network, prints every round where something happened, and checks
// the site's invariants.
import type { Site } from "../core/types.ts";
import { demandStepOutcome, describeOutcome } from "../sim/demand-step.ts";
import { simulate, type RoundSummary } from "../sim/site-sim.ts";

export interface SimulateArgs {
  seed: number;
  rounds: number;
  faults: boolean;
  demand: string | undefined;
  /** "ROUND:east=2": a demand step, then a comparison of graded shedding with all-or-nothing. */
  demandStep?: string;
}

/** "east=0.9,west=0.3" → demand per area as a share of its home cluster's capacity. */
export function parseDemand(text: string | undefined, site: Site): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const part of (text ?? "").split(",").filter(Boolean)) {
    const [area, share] = part.split("=");
    if (!area || !site.areas.some((a) => a.name === area)) return `--demand: unknown area "${area}"; the site has ${site.areas.map((a) => a.name).join(", ")}`;
    const v = Number(share);
    if (!Number.isFinite(v) || v < 0 || v > 100) return `--demand: "${part}" needs a share such as ${area}=0.7`;
    out[area] = v;
  }
  return out;
}

/** "40:east=2" → a demand step at round 40. */
export function parseDemandStep(text: string, site: Site): { round: number; demand: Record<string, number> } | string {
  const colon = text.indexOf(":");
  const round = Number(text.slice(0, colon));
  if (colon < 0 || !Number.isSafeInteger(round) || round < 1) return `--demand-step: "${text}" needs a round and demands, such as 40:east=2`;
  const demand = parseDemand(text.slice(colon + 1), site);
  return typeof demand === "string" ? demand.replace("--demand", "--demand-step") : { round, demand };
}

export function runSimulation(site: Site, args: SimulateArgs, write: (line: string) => void): number {
  const demand = parseDemand(args.demand, site);
  const demandAt = args.demandStep === undefined ? undefined : parseDemandStep(args.demandStep, site);
  for (const e of [demand, demandAt]) {
    if (typeof e === "string") {
      write(e);
      return 2;
    }
  }
  let last = "";
  const onRound = (r: RoundSummary) => {
    const where = r.areas
      .map(
        (a) =>
          `${a.area}→${a.cluster}${a.reason === "home" ? "" : ` (${a.reason})`}${a.spill.map((s) => ` ${Math.round(s.fraction * 100)}%→${s.to}`).join("")}`,
      )
      .join("  ");
    const loads = demandAt ? `  [${[...r.loads].map(([c, l]) => `${c} ${l.toFixed(2)}`).join(" ")}]` : "";
    if (where !== last || r.events.length)
      write(`round ${String(r.round).padStart(4)}  master ${r.master ?? "-"}  ${where}${loads}${r.events.length ? `   ← ${r.events.join("; ")}` : ""}`);
    last = where;
  };
  const opts = { seed: args.seed, rounds: args.rounds, faults: args.faults, demand: demand as Record<string, number>, onRound };
  const step = demandAt && typeof demandAt !== "string" ? demandStepOutcome(site, { ...opts, demandAt }) : undefined;
  const result = step?.result ?? simulate(site, opts);
  write("");
  write(
    `seed ${result.seed}: ${result.rounds} rounds, ${result.events} injected events, ${result.moves} area moves, ${result.messages.delivered} messages delivered, ${result.messages.lost} lost`,
  );
  if (step && demandAt && typeof demandAt !== "string") {
    // The same seed again with the other rule: graded shedding against all-or-nothing.
    const graded = site.spillStep > 0 ? site : { ...site, spillStep: 0.1 };
    const other = demandStepOutcome(site.spillStep > 0 ? { ...site, spillStep: 0 } : graded, { ...opts, onRound: undefined, demandAt });
    const [g, n] = site.spillStep > 0 ? [step, other] : [other, step];
    write(
      `demand step at round ${demandAt.round}: ${Object.entries(demandAt.demand)
        .map(([a, d]) => `${a} ${d}× its capacity`)
        .join(", ")}; same seed, both rules:`,
    );
    write(describeOutcome(`  graded (spill_step ${graded.spillStep})`, g, site.loadThreshold));
    write(describeOutcome("  all-or-nothing (spill_step 0)", n, site.loadThreshold));
  }
  if (result.violations.length === 0) {
    write(
      "every invariant held: areas on functioning clusters, no long-dead server answered, at most one move per cluster per round, no ping-pong, spill shares one step per settle time",
    );
    return 0;
  }
  for (const v of result.violations.slice(0, 20)) write(`VIOLATION round ${v.round} ${v.invariant}: ${v.detail}`);
  write(`${result.violations.length} violation(s); replay with --seed ${result.seed}`);
  return 1;
}
