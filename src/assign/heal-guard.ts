// The heal rule: when a nameserver starts following another master (a partition healed, and the
// other side's master ranks first), that master's assignment may have been made while it could
// not see this side's servers, and so moved areas away from homes that were healthy here all
// along. Until the new master has had time to hear this side's reports and, past any cooldown,
// bring such an area home (holdMs), the nameserver keeps an area home when it answered it home
// before the switch and its own view still has that home below threshold. Anything the new
// master decides for other reasons (a home overloaded or dead here too) is taken at once. Pure.
import type { AreaAssignment, Assignment } from "../core/types.ts";

export interface Reign {
  /** When this nameserver first followed the current master's assignments. */
  sinceMs: number;
  /** What it answered with just before: its own side's assignment. */
  before: Assignment | undefined;
}

/**
 * The assignment to answer with: the master's, except that an area it moves away from home, or
 * answers at home with fewer servers than this node sees below threshold there, gets this node's
 * own home answer while the reign is younger than holdMs, the area was home before the switch,
 * and `local` (this node's own Phases Two and Three) has it home.
 */
export function guardAssignment(incoming: Assignment, reign: Reign, local: () => Assignment, nowMs: number, holdMs: number): Assignment {
  if (nowMs - reign.sinceMs >= holdMs) return incoming;
  const wasHome = (a: AreaAssignment) => reign.before?.areas.some((b) => b.area === a.area && b.cluster === a.area) ?? false;
  if (!incoming.areas.some(wasHome)) return incoming;
  const mine = local();
  let changed = false;
  const areas = incoming.areas.map((a) => {
    const own = wasHome(a) ? mine.areas.find((x) => x.area === a.area && x.reason === "home") : undefined;
    // Moved away, or home with only the servers the new master has heard of again so far.
    if (!own || (a.cluster === a.area && own.servers.every((s) => a.servers.includes(s)))) return a;
    changed = true;
    return {
      ...own,
      reason: "kept" as const,
      detail: `kept home, below threshold here, until the new master has heard this side's reports (it says ${a.cluster} ${a.servers.join(" ")}: ${a.detail})`,
    };
  });
  return changed ? { ...incoming, areas } : incoming;
}
