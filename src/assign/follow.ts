// Which assignment a node follows: the newest from the master of its own view. Pure: the time
// and the freshness window come in as arguments.
import type { Assignment } from "../core/types.ts";

export interface Followed {
  assignment: Assignment;
  receivedAtMs: number;
}

/** Orders two assignments of one master: epoch first, then sequence. */
export function isNewer(a: Assignment, b: Assignment): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

/**
 * What to follow next, given the one followed now and the newest heard from the master of this
 * node's view: the candidate when it is newer from the same master, or, from another master,
 * while it is fresh (received within `freshMs`); otherwise the current one stays.
 */
export function nextFollowed(current: Followed | undefined, candidate: Followed | undefined, nowMs: number, freshMs: number): Followed | undefined {
  if (!candidate || candidate === current) return current;
  if (!current) return candidate;
  if (current.assignment.master === candidate.assignment.master) return isNewer(candidate.assignment, current.assignment) ? candidate : current;
  // Another master's assignment is adopted only while fresh: one left from an earlier reign
  // (a view that flickers to a former master) would bring back long-gone answers.
  return nowMs - candidate.receivedAtMs <= freshMs ? candidate : current;
}
