// `walrus simulate`: a site on paper. Runs the real controller, membership and nameserver
// logic over a simulated network, prints every round where something happened, and checks
// the site's invariants.
import type { Site } from "../core/types.ts";
import { simulate, type RoundSummary } from "../sim/site-sim.ts";

export interface SimulateArgs {
  seed: number;
  rounds: number;
  faults: boolean;
  demand: string | undefined;
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

export function runSimulation(site: Site, args: SimulateArgs, write: (line: string) => void): number {
  const demand = parseDemand(args.demand, site);
  if (typeof demand === "string") {
    write(demand);
    return 2;
  }
  let last = "";
  const onRound = (r: RoundSummary) => {
    const where = r.areas.map((a) => `${a.area}→${a.cluster}${a.reason === "home" ? "" : ` (${a.reason})`}`).join("  ");
    if (where !== last || r.events.length) write(`round ${String(r.round).padStart(4)}  master ${r.master ?? "-"}  ${where}${r.events.length ? `   ← ${r.events.join("; ")}` : ""}`);
    last = where;
  };
  const result = simulate(site, { seed: args.seed, rounds: args.rounds, faults: args.faults, demand, onRound });
  write("");
  write(`seed ${result.seed}: ${result.rounds} rounds, ${result.events} injected events, ${result.moves} area moves, ${result.messages.delivered} messages delivered, ${result.messages.lost} lost`);
  if (result.violations.length === 0) {
    write("every invariant held: areas on functioning clusters, no long-dead server answered, at most one move per cluster per round, no ping-pong");
    return 0;
  }
  for (const v of result.violations.slice(0, 20)) write(`VIOLATION round ${v.round} ${v.invariant}: ${v.detail}`);
  write(`${result.violations.length} violation(s); replay with --seed ${result.seed}`);
  return 1;
}
