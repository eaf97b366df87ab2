// What a node file read again (SIGHUP) changes, by key: its grants and its operator keys apply
// while running (a key removed stops its grants at once: the stolen-key case), the rest need a
// restart. Going from no operator key to some, or back, changes the site's mode and digest: that
// needs a restart. The site itself changes by signed documents (`walrus site push`), so a
// changed [site] in the file is named too: it counts only at the next start, and only when its
// version is above the document in force.
import type { NodeConfig } from "./types.ts";

export interface Reload {
  /** Changed keys the node applies now. */
  applied: string[];
  /** Changed keys that take effect only after a restart. */
  needsRestart: string[];
}

export function reloadPlan(running: NodeConfig, next: NodeConfig): Reload {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(running.grants, next.grants)) applied.push("node.grants_file");
  const [before, after] = [running.node.operatorKeys, next.node.operatorKeys];
  const live = new Set(before.length && after.length ? ["grantsFile", "operatorKeys"] : ["grantsFile"]);
  if (live.has("operatorKeys") && !same(before, after)) applied.push("node.operator_keys");
  for (const k of Object.keys({ ...running.node, ...next.node }) as (keyof NodeConfig["node"])[])
    if (!live.has(k) && !same(running.node[k], next.node[k])) needsRestart.push(`node.${snake(k)}`);
  const sections = ["reporter", "controller", "nameserver", "director", "replicator", "notify", "learn", "metrics", "spread"] as const;
  for (const k of sections) if (!same(running[k], next[k])) needsRestart.push(k);
  if (!same(running.siteTable, next.siteTable)) needsRestart.push("site (push it with `walrus site push` to change it now)");
  return { applied, needsRestart };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
