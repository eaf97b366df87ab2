// Fixed ports for tests whose processes must know each other's addresses before they start
// (libp2p bootstrap lists, DNS listen addresses in config files). Blocks are drawn below the
// kernel's ephemeral range (32768 and up), where no outgoing connection takes a port by chance,
// and offset by the pid, so two suites on one machine take different blocks; each block is
// checked free (TCP and UDP, every address) before it is handed out.

import dgram from "node:dgram";

const FIRST = 20_000;
const LAST = 32_000;
const BLOCK = 200;
const BLOCKS = (LAST - FIRST) / BLOCK;
let drawn = 0;

const tcpFree = (port: number) => {
  try {
    Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
};

const udpFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = dgram.createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });

/** The first port of a run of `BLOCK` (200) ports that are free now. */
export async function portBlock(): Promise<number> {
  for (let tries = 0; tries < BLOCKS; tries++) {
    const base = FIRST + ((process.pid + drawn++) % BLOCKS) * BLOCK;
    let free = true;
    for (let p = base; p < base + BLOCK && free; p++) free = tcpFree(p) && (await udpFree(p));
    if (free) return base;
  }
  throw new Error(`no block of ${BLOCK} free ports between ${FIRST} and ${LAST}`);
}
