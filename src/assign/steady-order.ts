// Servers are listed least loaded first so that, where a cluster has more addresses than an
// answer holds (max_answer_addresses), the least loaded are the ones handed out. Where every
// address fits, the order only says where the nameserver's rotation starts, and loads a hair
// apart swapped places nearly every round: each swap was a new assignment published, written to
// disk and rebuilt into every nameserver's zone (at 24 servers, one round in two). So an area's
// servers keep the order last published while they are the same servers and all of them fit.
import { isIP } from "node:net";
import type { AreaAssignment, ServerName, Site } from "../core/types.ts";

/** `next`'s areas, each server list (its own and its spill shares') in `last`'s order where that
 * answers alike; `cap` is the answer's limit of addresses per family (max_answer_addresses). */
export function steadyOrder(site: Site, cap: number, last: readonly AreaAssignment[] | undefined, next: readonly AreaAssignment[]): AreaAssignment[] {
  const allFit = fitsWhole(site, cap);
  const before = new Map((last ?? []).map((a) => [a.area, a]));
  return next.map((a) => {
    const was = before.get(a.area);
    if (!was) return a;
    const spill = a.spill?.map((s) => ({ ...s, servers: keep(allFit, was.spill?.find((w) => w.to === s.to)?.servers, s.servers) }));
    return { ...a, servers: keep(allFit, was.servers, a.servers), ...(spill && { spill }) };
  });
}

function keep(allFit: (servers: readonly ServerName[]) => boolean, was: readonly ServerName[] | undefined, now: ServerName[]): ServerName[] {
  if (!was || was.length !== now.length || was.join() === now.join()) return now;
  const set = new Set(now);
  return was.every((s) => set.has(s)) && allFit(now) ? [...was] : now;
}

/** Whether every address of these servers fits in one answer, per family. */
function fitsWhole(site: Site, cap: number): (servers: readonly ServerName[]) => boolean {
  const addresses = new Map(site.servers.map((s) => [s.name, s.addresses]));
  return (servers) => {
    let v4 = 0;
    let v6 = 0;
    for (const name of servers) {
      for (const a of addresses.get(name) ?? []) {
        if (isIP(a) === 6) v6++;
        else v4++;
      }
    }
    return v4 <= cap && v6 <= cap;
  };
}
