// walrus publish / rollback / releases: run the replicator's operations from this host's config
// and print what every server serves afterwards.
import type { NodeConfig } from "../config/types.ts";
import { systemClock } from "../core/clock.ts";
import type { ReleaseHistory } from "../replicate/history.ts";
import { publish, releaseHistory, rollback, type ReplicateResult } from "../replicate/publish.ts";

type Print = (line: string) => void;

const short = (id?: string) => id ?? "none";

export function formatResult(r: ReplicateResult, verb: string): string[] {
  const lines = r.servers.map((s) =>
    s.error
      ? `${s.server}: FAILED after ${s.attempts} attempt(s): ${s.error}; ${s.now ? `still serving ${s.now}` : "left as it was"}`
      : `${s.server}: ${s.before === s.now ? "already on " : `${short(s.before)} -> `}${short(s.now)}${s.sentBytes !== undefined ? ` (${s.sentBytes} bytes sent)` : ""}`,
  );
  const failed = r.servers.filter((s) => s.error).length;
  if (r.error) lines.push(`walrus: ${r.error}`);
  else if (r.id)
    lines.push(`${verb} ${r.id}: ${r.servers.length - failed} of ${r.servers.length} servers serve it${failed ? `; ${failed} stale (see above)` : ""}`);
  return lines;
}

function replicatorOf(c: NodeConfig, say: Print) {
  if (!c.replicator) {
    say(`walrus: ${c.file} has no [replicator] table: this host is not the site's replicator`);
    return undefined;
  }
  return { cfg: c.replicator, stateDir: c.node.stateDir, clock: systemClock, say };
}

/** Returns the exit code: 0 when every server serves the release. */
export async function runPublish(c: NodeConfig, dir: string, message: string, say: Print): Promise<number> {
  const init = replicatorOf(c, say);
  if (!init) return 2;
  const r = await publish(init, dir, message);
  for (const l of formatResult(r, "published")) say(l);
  return r.ok ? 0 : 1;
}

export async function runRollback(c: NodeConfig, to: string | undefined, say: Print): Promise<number> {
  const init = replicatorOf(c, say);
  if (!init) return 2;
  const r = await rollback(init, to);
  for (const l of formatResult(r, "rolled back to")) say(l);
  return r.ok ? 0 : 1;
}

export function formatReleases(h: ReleaseHistory): string[] {
  if (h.releases.length === 0) return ["no release published yet"];
  return [...h.releases]
    .reverse()
    .map((r) => `${r.id === h.current ? "*" : " "} ${r.id}  ${new Date(r.atMs).toISOString()}  ${r.files} files, ${r.bytes} bytes  ${r.message}`);
}

export function runReleases(c: NodeConfig, say: Print): number {
  const init = replicatorOf(c, say);
  if (!init) return 2;
  for (const l of formatReleases(releaseHistory(c.node.stateDir))) say(l);
  return 0;
}
