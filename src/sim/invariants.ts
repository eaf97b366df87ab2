// The promises a site must keep, checked after every simulated round. Pure: each check takes
// the round's ground truth and what the nameservers answer, and names what broke.
import { REVERSE_AFTER_SETTLES } from "../assign/spill.ts";
import type { AreaName, Assignment, ServerName } from "../core/types.ts";

export interface Violation {
  round: number;
  atMs: number;
  invariant: "availability" | "dead-server-answered" | "one-move-per-cluster" | "ping-pong" | "spill-step" | "left-healthy-home";
  detail: string;
}

/** One live nameserver's answers, with the truth as seen from its side of any partition. */
export interface NameserverCheck {
  node: string;
  /** Servers answered per area. */
  answers: ReadonlyMap<AreaName, readonly ServerName[]>;
  /** Servers that function now, or changed too recently for the site to have noticed. */
  functioningOrRecent: ReadonlySet<ServerName>;
  /** Of those, the ones that have functioned for the whole detection window. */
  steadilyFunctioning: ReadonlySet<ServerName>;
  /** Servers down, bypassed or drained for longer than the detection window. */
  longDown: ReadonlySet<ServerName>;
}

/**
 * Availability: every area points at a functioning server whenever one exists on its side;
 * and no area points at a server down for longer than the detection window while another
 * functions (with none functioning, answering what is left is the documented last resort).
 */
export function checkAnswers(round: number, atMs: number, ns: NameserverCheck): Violation[] {
  const out: Violation[] = [];
  for (const [area, servers] of ns.answers) {
    if (ns.steadilyFunctioning.size === 0) continue;
    if (!servers.some((s) => ns.functioningOrRecent.has(s))) {
      out.push({
        round,
        atMs,
        invariant: "availability",
        detail: `${ns.node} answers area ${area} with [${servers.join(" ")}]; none functions, while ${[...ns.steadilyFunctioning].join(" ")} have for the whole window`,
      });
    }
    const dead = servers.filter((s) => ns.longDown.has(s));
    if (dead.length)
      out.push({
        round,
        atMs,
        invariant: "dead-server-answered",
        detail: `${ns.node} answers area ${area} with ${dead.join(" ")}, down longer than the detection window`,
      });
  }
  return out;
}

/**
 * Locality (thesis §6.1 Phase Two): an area whose home cluster has a server that has, for the
 * whole detection window, functioned below threshold and been reachable from a nameserver, is
 * answered by that nameserver with its home cluster alone. A partition's heal must not carry
 * the other side's decisions (made without those servers in sight) into its answers.
 */
export function checkHomeKept(
  round: number,
  atMs: number,
  node: string,
  answers: ReadonlyMap<AreaName, readonly ServerName[]>,
  healthyHome: ReadonlyMap<AreaName, readonly ServerName[]>,
  clusterOf: (s: ServerName) => AreaName | undefined,
): Violation[] {
  const out: Violation[] = [];
  for (const [area, healthy] of healthyHome) {
    if (healthy.length === 0) continue;
    const away = (answers.get(area) ?? []).filter((s) => clusterOf(s) !== area);
    if (away.length)
      out.push({
        round,
        atMs,
        invariant: "left-healthy-home",
        detail: `${node} answers area ${area} with ${away.join(" ")} of another cluster, while ${healthy.join(" ")} at home have been below threshold and in its sight for the whole window`,
      });
  }
  return out;
}

/** §6.2: Phase Four lands at most one area on a cluster per round. */
export function checkOneMovePerCluster(round: number, prev: Assignment | undefined, next: Assignment): Violation[] {
  if (!prev || prev.master !== next.master || prev.epoch !== next.epoch) return [];
  const before = new Map(prev.areas.map((a) => [a.area, a.cluster]));
  const arrivals = new Map<AreaName, AreaName[]>();
  for (const a of next.areas) {
    if (a.reason !== "balance" || before.get(a.area) === a.cluster) continue;
    arrivals.set(a.cluster, [...(arrivals.get(a.cluster) ?? []), a.area]);
  }
  return [...arrivals]
    .filter(([, areas]) => areas.length > 1)
    .map(([c, areas]) => ({
      round,
      atMs: next.atMs,
      invariant: "one-move-per-cluster" as const,
      detail: `master ${next.master} balanced ${areas.join(", ")} onto ${c} in one round`,
    }));
}

/**
 * Graded shedding without oscillation: within one reign a share changes by at most one step,
 * at most once per settle time, and changes direction only after REVERSE_AFTER_SETTLES of them.
 */
export function checkSpillSteps(round: number, prev: Assignment | undefined, next: Assignment, settleMs: number, step: number): Violation[] {
  if (!prev || prev.master !== next.master || prev.epoch !== next.epoch) return [];
  const before = new Map(prev.areas.map((a) => [a.area, a]));
  const out: Violation[] = [];
  const bad = (detail: string) => out.push({ round, atMs: next.atMs, invariant: "spill-step", detail });
  for (const a of next.areas) {
    const b = before.get(a.area);
    const was = new Map((b?.cluster === a.cluster ? (b.spill ?? []) : []).map((s) => [s.to, s]));
    for (const s of a.spill ?? []) {
      const p = was.get(s.to);
      const delta = s.fraction - (p?.fraction ?? 0);
      if (Math.abs(delta) > step + 1e-9) bad(`${a.area} → ${s.to} went from ${p?.fraction ?? 0} to ${s.fraction} in one round (step ${step})`);
      if (!p || Math.abs(delta) < 1e-9) continue;
      const wait = settleMs * (p.rising === delta > 0 ? 1 : REVERSE_AFTER_SETTLES);
      if (next.atMs - p.stepAtMs < wait)
        bad(
          `${a.area} → ${s.to} stepped ${delta > 0 ? "up" : "down"} ${next.atMs - p.stepAtMs} ms after stepping ${p.rising ? "up" : "down"} (needs ${wait} ms)`,
        );
    }
  }
  return out;
}

/** Where each area pointed, round by round, as followed by one observer. */
export type History = Map<AreaName, { round: number; cluster: AreaName }[]>;

/**
 * No ping-pong: while nothing changes in the site (no fault, no demand change since
 * `calmSinceRound`), an area must not return to a cluster it left fewer than `withinRounds` ago.
 */
export function checkPingPong(round: number, atMs: number, history: History, calmSinceRound: number, withinRounds: number): Violation[] {
  const out: Violation[] = [];
  for (const [area, steps] of history) {
    const n = steps.length;
    if (n < 3) continue;
    const [a, b, c] = [steps[n - 3], steps[n - 2], steps[n - 1]] as [
      { round: number; cluster: AreaName },
      { round: number; cluster: AreaName },
      { round: number; cluster: AreaName },
    ];
    if (c.round !== round || a.cluster !== c.cluster || b.cluster === c.cluster) continue;
    if (b.round <= calmSinceRound) continue;
    if (c.round - b.round < withinRounds) {
      out.push({
        round,
        atMs,
        invariant: "ping-pong",
        detail: `area ${area} went ${a.cluster} → ${b.cluster} (round ${b.round}) → ${c.cluster} (round ${c.round}) with the site calm`,
      });
    }
  }
  return out;
}

/** Appends this round's cluster for each area when it changed. */
export function record(history: History, round: number, a: Assignment | undefined): void {
  for (const x of a?.areas ?? []) {
    const steps = history.get(x.area) ?? [];
    if (steps.at(-1)?.cluster !== x.cluster) steps.push({ round, cluster: x.cluster });
    history.set(x.area, steps);
  }
}
