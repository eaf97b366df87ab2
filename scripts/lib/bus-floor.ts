// The scale benchmark's floors: a site of floor nodes (bus-floor-node: the gossip bus alone;
// stream-floor-node: libp2p without gossipsub; raw-floor-node: plain TCP) laid out as
// scale-site.ts lays out walrus's, 3 area nodes that every node dials and N reporter nodes,
// each publishing what the simulator says its kind of walrus node publishes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, startProc, type Proc } from "./demo-site.ts";
import type { FloorNodeConfig } from "./floor-message.ts";
import type { Publishing } from "./scale-sim.ts";

const AREAS = 3;

/** Compiles a floor node as walrus is compiled, so both run the same runtime the same way. */
export function buildFloorNode(dir: string, program: "bus-floor-node" | "stream-floor-node" | "raw-floor-node"): string {
  const out = join(dir, program);
  const b = Bun.spawnSync([BUN, "build", "--compile", join(import.meta.dir, `${program}.ts`), "--outfile", out], { stdout: "ignore", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`building ${program}: ${b.stderr}`);
  return out;
}

export interface FloorSite {
  areas: Proc[];
  reporters: Proc[];
}

/** Starts the site (a few reporters at a time, as bench-scale starts walrus's); `ports` is a free block of 200. */
export async function startFloorSite(
  bin: string,
  dir: string,
  n: number,
  ports: number,
  secretFile: string,
  publishing: { area: Publishing; reporter: Publishing },
): Promise<FloorSite> {
  const areaAddrs = Array.from({ length: AREAS }, (_, i) => `/ip4/127.0.0.1/tcp/${ports + i}`);
  const start = (name: string, port: number, kind: FloorNodeConfig["kind"]) => {
    const own = `/ip4/127.0.0.1/tcp/${port}`;
    const config: FloorNodeConfig = { secretFile, listen: [own], bootstrap: areaAddrs.filter((a) => a !== own), kind, publishing: publishing[kind] };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    return startProc(name, [bin, file]);
  };
  const site: FloorSite = { areas: [], reporters: [] };
  for (let i = 0; i < AREAS; i++) site.areas.push(start(`floor-area-${i + 1}`, ports + i, "area"));
  for (let i = 0; i < n; i++) {
    site.reporters.push(start(`floor-r${i + 1}`, ports + 10 + i, "reporter"));
    if (i % 5 === 4) await Bun.sleep(1000);
  }
  return site;
}

/** What a floor node last said it had received: messages so far, and when (ms since the epoch). */
export function receivedSoFar(p: Proc): { count: number; atMs: number } {
  const last = [...p.output().matchAll(/^received (\d+) (\d+)$/gm)].at(-1);
  return { count: Number(last?.[1] ?? 0), atMs: Number(last?.[2] ?? 0) };
}
