// The Director driving real primaries (Debian's BIND 9, Knot and PowerDNS with sqlite3) by signed
// RFC 2136 UPDATEs, in network namespaces (scripts/lib/director-lab.ts): east is master and
// directs; a client resolves www.demo.test through unbound.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, until, WALRUS } from "../../scripts/lib/demo-site.ts";
import { AREAS, DIRECTOR_TOOLS, METRICS_PORT, PDNS_SCHEMA, startDirectorLab, ZONE, type DirectorLab } from "../../scripts/lib/director-lab.ts";
import { needs } from "./needs.ts";

const READY = needs("director", { root: true, tools: DIRECTOR_TOOLS, files: [WALRUS, PDNS_SCHEMA] });

describe.skipIf(!READY)("director", () => {
  let d: DirectorLab;
  const proc = (name: string) => {
    const p = d.procs.get(name);
    if (!p) throw new Error(`no process ${name}`);
    return p;
  };
  const viaUnbound = async (want: string[]) => JSON.stringify(await d.dig("unbound", `www.${ZONE}`)) === JSON.stringify(want);

  beforeAll(async () => {
    d = await startDirectorLab({ prefix: "wdir", subnet: "10.217.17" });
  }, 60_000);

  afterAll(async () => {
    if (process.env.DIRECTOR_DEBUG) for (const p of d.procs.values()) console.log(`==== ${p.name}\n${p.output().slice(-4000)}`);
    await d?.stop();
  });

  test("the master puts each area's servers into BIND, Knot and PowerDNS; a client through unbound gets east's", async () => {
    for (const server of ["bind", "knot", "pdns"]) {
      for (const a of AREAS) await until(`${server} to hold ${a}'s server`, () => d.holds(server, a, [d.addr(`web-${a}`)]), 30_000, 200);
    }
    await until("unbound to answer east's server", () => viaUnbound([d.addr("web-east")]), 10_000, 200);
  }, 60_000);

  test("a web server killed is out of the backends' answers within the failover budget plus one update; back again when it returns", async () => {
    const killedAt = performance.now();
    await proc("web-east").kill("SIGKILL");
    const west = [d.addr("web-west")];
    const ms: Record<string, number> = {};
    for (const server of ["bind", "knot", "pdns"]) {
      await until(`${server} to point east at west's server`, () => d.holds(server, "east", west), 15_000, 50);
      ms[server] = performance.now() - killedAt;
    }
    await until("unbound to follow", () => viaUnbound(west), 10_000, 100);
    console.log(
      `director: web server killed → out of the answers of BIND after ${ms.bind?.toFixed(0)} ms, Knot ${ms.knot?.toFixed(0)} ms, PowerDNS ${ms.pdns?.toFixed(0)} ms, unbound (TTL 1 s) ${(performance.now() - killedAt).toFixed(0)} ms`,
    );
    // Failover budget: fall_count (2) reports of 1 s, plus a round and one update.
    expect(ms.bind).toBeLessThan(6_000);
    d.startWeb("east");
    await until("BIND to point east home again", () => d.holds("bind", "east", [d.addr("web-east")]), 20_000, 100);
  }, 60_000);

  test("a backend down for a while catches up; a restarted director sends nothing when the backends are right", async () => {
    await proc("knot").kill();
    await proc("web-west").kill("SIGKILL");
    await until("BIND to point west at east's server", () => d.holds("bind", "west", [d.addr("web-east")]), 15_000, 100);
    await until(
      "east's status to show knot failing",
      async () => (await d.status("east")).director?.find((b) => b.name === "knot")?.state === "failing",
      10_000,
      200,
    );
    d.startKnot();
    await until("Knot to catch up", () => d.holds("knot", "west", [d.addr("web-east")]), 45_000, 200);
    await proc("east").kill();
    d.startNode("east");
    await proc("east").waitFor(/taking over as master/, 20_000);
    await until(
      "the restarted director to be in sync with every backend",
      async () => (await d.status("east")).director?.filter((b) => b.state === "in-sync").length === 3,
      15_000,
      200,
    );
    // The backends were read back and found right: not one update went out.
    expect(proc("east").output()).not.toContain("backend updated");
  }, 90_000);

  test("a wrong TSIG key is reported with BIND's reason, in status and metrics, and a human is told once", async () => {
    const wrong = (await d.status("east")).director?.find((b) => b.name === "bind-wrong-key");
    expect(wrong?.state).toBe("failing");
    expect(wrong?.lastResult).toContain("BADSIG");
    const metrics = await d.lab.run("client", [BUN, "-e", `console.log(await (await fetch("http://${d.addr("east")}:${METRICS_PORT}/metrics")).text())`]);
    expect(metrics.stdout).toContain('walrus_director_backend_failing{backend="bind-wrong-key"} 1');
    expect(metrics.stdout).toContain('walrus_director_backend_in_sync{backend="bind"} 1');
    // east was restarted with every backend right: it has sent nothing since.
    expect(metrics.stdout).toContain('walrus_director_updates_total{backend="knot"} 0');
    expect(metrics.stdout).toMatch(/walrus_director_failures_total\{backend="bind-wrong-key"\} [1-9]/);
    // However often it fails, a human hears of it once (per master: this is east's reign).
    await until(
      "the wrong key to have failed three times",
      async () => ((await d.status("east")).director?.find((b) => b.name === "bind-wrong-key")?.failures ?? 0) >= 3,
      15_000,
      200,
    );
    expect(
      proc("east")
        .output()
        .match(/"event":"director-failing","server":"bind-wrong-key"/g)?.length,
    ).toBe(1);
    expect(readFileSync(join(d.dir, "notices"), "utf8")).toContain("director-failing bind-wrong-key");
  });
});
