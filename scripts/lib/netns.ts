// Network namespaces for multi-host tests: a "lab" of hosts, each its own namespace with one
// interface on a shared bridge. The bridge lives in a namespace of its own too, so nothing is
// added to the machine's own network; deleting the namespaces deletes everything. Needs root.
//
//   const lab = await createLab({ prefix: "wdnsr", subnet: "10.201.0", hosts: ["client", "ns1"] });
//   try { await lab.run("client", ["dig", `@${lab.address("ns1")}`, "x.test"]); } finally { await lab.destroy(); }

import { spawn, spawnSync, type Subprocess } from "bun";
import { pidAlive as alive } from "../../src/core/pid-alive.ts";

export interface LabOptions {
  /** Namespace names start with this (tests use "wdns…", "wecs…", "wlead…"); at most 8 characters. */
  prefix: string;
  /** First three octets of the lab's /24; hosts get .1, .2, … in the order given. */
  subnet: string;
  hosts: string[];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Lab {
  /** The namespace name of a host, for `ip netns exec` by hand. */
  ns(host: string): string;
  /** The host's IPv4 address on the lab bridge. */
  address(host: string): string;
  /** Runs a command inside a host to completion; a timeout kills it and rejects. */
  run(host: string, cmd: string[], o?: { timeoutMs?: number; stdin?: string }): Promise<RunResult>;
  /** Starts a long-running command inside a host; destroy() kills whatever is still running. */
  start(host: string, cmd: string[], o?: { env?: Record<string, string>; cwd?: string }): Subprocess<"ignore", "pipe", "pipe">;
  /** Loads an nftables ruleset (nft -f syntax) into a host: loss, partitions, delay-free shaping. */
  nft(host: string, ruleset: string): Promise<void>;
  /** Kills started processes, deletes every namespace of the lab. Safe to call twice. */
  destroy(): Promise<void>;
}

const exists = (ns: string) =>
  spawnSync(["ip", "netns", "list"])
    .stdout.toString()
    .split("\n")
    .some((l) => l.split(" ")[0] === ns);

function ip(args: string[]): void {
  const r = spawnSync(["ip", ...args], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.toString().trim()}`);
}

/**
 * Deletes namespaces left behind by an earlier run killed before it could clean up: those of
 * this prefix whose owning process is gone. A concurrent run (another suite on the same
 * machine) owns namespaces named with its own pid and is left alone.
 */
export function removeStale(prefix: string): void {
  const names = spawnSync(["ip", "netns", "list"])
    .stdout.toString()
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "");
  for (const name of names) {
    if (!name.startsWith(`${prefix}-`)) continue;
    const owner = /^[^-]+-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || !alive(Number(owner))) spawnSync(["ip", "netns", "del", name]);
  }
}

export async function createLab(o: LabOptions): Promise<Lab> {
  if (o.prefix.length > 8) throw new Error(`lab prefix ${o.prefix} is longer than 8 characters`);
  if (!/^\d+\.\d+\.\d+$/.test(o.subnet)) throw new Error(`lab subnet ${o.subnet} is not three octets`);
  if (o.hosts.length > 250) throw new Error("a lab holds at most 250 hosts");
  removeStale(o.prefix);
  // The pid makes the names this run's own, so two suites on one machine never touch each other's hosts.
  const base = `${o.prefix}-${process.pid}`;
  const hub = `${base}-hub`;
  const index = new Map(o.hosts.map((h, i) => [h, i]));
  const nsOf = (host: string) => {
    const i = index.get(host);
    if (i === undefined) throw new Error(`no host ${host} in lab ${o.prefix}`);
    return `${base}-${host}`;
  };
  const procs = new Set<Subprocess>();
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all([...procs].map((p) => p.exited));
    for (const host of o.hosts) if (exists(`${base}-${host}`)) spawnSync(["ip", "netns", "del", `${base}-${host}`]);
    if (exists(hub)) spawnSync(["ip", "netns", "del", hub]);
  };

  try {
    ip(["netns", "add", hub]);
    ip(["-n", hub, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", hub, "link", "set", "br0", "up"]);
    o.hosts.forEach((host, i) => {
      const ns = nsOf(host);
      ip(["netns", "add", ns]);
      ip(["-n", ns, "link", "set", "lo", "up"]);
      // Created inside the host namespace, the peer moved to the hub: no name can clash with the machine's.
      ip(["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", `p${i}`]);
      ip(["-n", ns, "link", "set", `p${i}`, "netns", hub]);
      ip(["-n", hub, "link", "set", `p${i}`, "master", "br0", "up"]);
      ip(["-n", ns, "addr", "add", `${o.subnet}.${i + 1}/24`, "dev", "eth0"]);
      ip(["-n", ns, "link", "set", "eth0", "up"]);
    });
  } catch (err) {
    await destroy();
    throw err;
  }

  const inNs = (host: string, cmd: string[]) => ["ip", "netns", "exec", nsOf(host), ...cmd];
  const lab: Lab = {
    ns: nsOf,
    address: (host) => `${o.subnet}.${(index.get(host) ?? -1) + 1}`,
    async run(host, cmd, { timeoutMs = 10_000, stdin } = {}) {
      const p = spawn(inNs(host, cmd), { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
      procs.add(p);
      const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      clearTimeout(timer);
      procs.delete(p);
      if (p.signalCode === "SIGKILL" && !destroyed) throw new Error(`${cmd.join(" ")} in ${host}: no exit within ${timeoutMs} ms`);
      return { code, stdout, stderr };
    },
    start(host, cmd, { env, cwd } = {}) {
      const p = spawn(inNs(host, cmd), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: env && { ...process.env, ...env }, cwd });
      procs.add(p);
      void p.exited.then(() => procs.delete(p));
      return p;
    },
    async nft(host, ruleset) {
      const r = await lab.run(host, ["nft", "-f", "-"], { stdin: ruleset });
      if (r.code !== 0) throw new Error(`nft in ${host}: ${r.stderr.trim()}`);
    },
    destroy,
  };
  return lab;
}
