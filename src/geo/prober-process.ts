// Round-trip probes from a child process (`walrus rtt-prober`), not from the node: a reply waits
// in the node's event loop behind its gossip and, without workers, its DNS answers, and that wait
// would count as distance. The nameserver busiest with a resolver's queries (its nearest) looked
// tens of ms farther than it is on a loaded host, and lost the resolver. The child does nothing
// else, so its reply times are the path's. It exits when its parent goes; a dead one is started
// again at the next probe.

import { spawn, type Subprocess } from "bun";
import { probeRtt } from "./rtt-probe.ts";

export interface ProbeRequest {
  address: string;
  zone: string;
  timeoutMs: number;
  bindHost?: string;
}

type ToProber = ProbeRequest & { id: number };
type FromProber = { id: number; rttMs: number | null };

export interface Prober {
  probe(r: ProbeRequest): Promise<number | undefined>;
  stop(): void;
}

/** The command that runs this program again as the prober, compiled or from source. */
function proberCommand(): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath, "rtt-prober"] : [process.execPath, Bun.main, "rtt-prober"];
}

export function startProber(onError: (err: string) => void): Prober {
  const waiting = new Map<number, (rttMs: number | undefined) => void>();
  let child: Subprocess | undefined;
  let nextId = 0;
  let stopped = false;
  const settle = (id: number, rttMs: number | undefined) => {
    waiting.get(id)?.(rttMs);
    waiting.delete(id);
  };
  const start = () => {
    const proc = spawn(proberCommand(), {
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      serialization: "json",
      ipc: (m: FromProber) => settle(m.id, m.rttMs ?? undefined),
      onExit: (_p, code) => {
        if (child === proc) child = undefined;
        for (const id of [...waiting.keys()]) settle(id, undefined);
        if (!stopped) onError(`rtt prober exited with ${code}`);
      },
    });
    return proc;
  };
  return {
    probe(r) {
      if (stopped) return Promise.resolve(undefined);
      child ??= start();
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        // However the child fares, the answer comes by the probe's own deadline and a second.
        setTimeout(() => settle(id, undefined), r.timeoutMs + 1000);
        child?.send({ ...r, id } satisfies ToProber);
      });
    },
    stop() {
      stopped = true;
      child?.kill("SIGTERM");
    },
  };
}

/** The child's side: `walrus rtt-prober`, started by startProber only. */
export function runProber(): void {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw) => {
    const m = raw as ToProber;
    void probeRtt(m).then((rttMs) => process.send?.({ id: m.id, rttMs: rttMs ?? null } satisfies FromProber));
  });
}
