// The simulator's message counts for the scale benchmark: a calm site of 3 areas and N servers
// run for a minute of simulated time, copies delivered per node per second by topic, and each
// figure extrapolated to 500 servers. The simulator delivers one copy per reader (no gossip
// duplicates or IHAVE/IWANT control traffic), so these are what each node must process.
import type { Topic } from "../../src/net/bus.ts";
import { simulate } from "../../src/sim/site-sim.ts";
import { simSite } from "../../test/sim/site-fixture.ts";

const SIZES = [12, 24, 48];
const TARGET = 500;
const ROUNDS = 60;

type Rates = Partial<Record<Topic, number>>;
/** What one node publishes on a topic: messages per second and their mean size. */
export type Publishing = { topic: Topic; perSecond: number; bytes: number }[];

/** A calm simulated site of n servers in 3 areas: its run, how long it ran, and its area and reporter nodes' names. */
function calmSite(n: number) {
  const per = n / 3;
  const site = simSite({ east: per, west: per, north: per });
  const run = simulate(site, { seed: 1, rounds: ROUNDS, faults: false });
  const seconds = (ROUNDS * site.roundIntervalMs) / 1000;
  return { run, seconds, areas: site.areas.map((a) => a.name), reporters: site.servers.map((s) => s.name) };
}

function ratesAt(n: number): { area: Rates; reporter: Rates } {
  const { run, seconds, areas, reporters } = calmSite(n);
  const mean = (names: string[]) => {
    const sum: Rates = {};
    for (const name of names)
      for (const [t, c] of Object.entries(run.messages.to.get(name) ?? {})) sum[t as Topic] = (sum[t as Topic] ?? 0) + c / names.length / seconds;
    return sum;
  };
  return { area: mean(areas), reporter: mean(reporters) };
}

/** What a mean area node and a mean reporter node of a calm simulated site of n servers publish. */
export function publishingAt(n: number): { area: Publishing; reporter: Publishing } {
  const { run, seconds, areas, reporters } = calmSite(n);
  const mean = (names: string[]): Publishing => {
    const sum = new Map<Topic, { count: number; bytes: number }>();
    for (const name of names)
      for (const [t, c] of Object.entries(run.messages.from.get(name) ?? {})) {
        const s = sum.get(t as Topic) ?? { count: 0, bytes: 0 };
        sum.set(t as Topic, { count: s.count + c.count, bytes: s.bytes + c.bytes });
      }
    return [...sum].map(([topic, s]) => ({ topic, perSecond: s.count / names.length / seconds, bytes: Math.round(s.bytes / s.count) }));
  };
  return { area: mean(areas), reporter: mean(reporters) };
}

/** Per-node rate ≈ a + b·N from the two largest sizes; printed with the rule each topic follows. */
export function simulatedCosts(): string {
  const at = SIZES.map((n) => ({ n, ...ratesAt(n) }));
  const lines = [
    `simulator (calm, ${ROUNDS} rounds): messages each node must handle per second, by topic; linear fit a + b·N from N = ${SIZES.at(-2)} and ${SIZES.at(-1)}, extrapolated to N = ${TARGET}`,
    "| node | topic | " + SIZES.map((n) => `N=${n}`).join(" | ") + ` | fit | N=${TARGET} |`,
    "|---|---|" + SIZES.map(() => "---|").join("") + "---|---|",
  ];
  for (const kind of ["area", "reporter"] as const) {
    const topics = [...new Set(at.flatMap((x) => Object.keys(x[kind])))].sort() as Topic[];
    if (!topics.length) lines.push(`| ${kind} | (none) | ${SIZES.map(() => "0").join(" | ")} | 0 | 0 |`);
    for (const t of topics) {
      const v = at.map((x) => x[kind][t] ?? 0);
      const [n1, n2] = SIZES.slice(-2) as [number, number];
      const [v1, v2] = v.slice(-2) as [number, number];
      const b = (v2 - v1) / (n2 - n1);
      const a = v2 - b * n2;
      lines.push(`| ${kind} | ${t} | ${v.map((x) => x.toFixed(1)).join(" | ")} | ${a.toFixed(2)} + ${b.toFixed(3)}·N | ${(a + b * TARGET).toFixed(0)} |`);
    }
  }
  return lines.join("\n");
}
