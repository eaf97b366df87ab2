// Server views for the decision tables, written compactly.
import { areaName, serverName, type ServerState, type ServerView } from "../../../src/core/types.ts";

/** "a1:up:0.3" → server a1 in cluster a, up, load 0.3. */
export function servers(spec: string): ServerView[] {
  return spec
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => {
      const [name, state, load] = s.split(":") as [string, ServerState, string | undefined];
      const v: ServerView = { name: serverName(name), cluster: areaName(name[0] as string), state };
      if (load !== undefined) v.load = Number(load);
      return v;
    });
}
