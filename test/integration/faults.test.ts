// Real walrus processes on hosts of their own (network namespaces), put through the faults
// of thesis §3.4 and §8.3: a killed master, a frozen master, a partition and its heal, and
// lossy links. Each checks, through real DNS queries from a client host, that every area
// keeps answering with live servers, and that one master is left once the fault is gone.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { until, WALRUS } from "../../scripts/lib/demo-site.ts";
import { healTrial } from "../../scripts/lib/heal-trial.ts";
import { startLabSite, type LabSite } from "../../scripts/lib/lab-site.ts";

setDefaultTimeout(90_000);
let s: LabSite;
const AREAS = ["east", "west", "north"];

const home = (area: string) =>
  s.site.servers
    .filter((x) => x.area === area)
    .map((x) => x.host)
    .sort();
const liveWeb = () => new Set(s.site.servers.filter((x) => s.procs.get(`web:${x.name}`)?.proc.exitCode === null).map((x) => x.host));

/** Every named area's nameserver answers, and only with servers whose web server is running. */
async function answersLive(areas: string[]): Promise<boolean> {
  const live = liveWeb();
  for (const a of areas) {
    const got = await s.answer(a);
    if (got.length === 0 || got.some((ip) => !live.has(ip))) return false;
  }
  return true;
}

async function mastersOf(nodes: string[]): Promise<string[]> {
  return Promise.all(nodes.map(async (n) => (await s.status(n)).master?.node ?? "none"));
}

/** True when every area node follows `expected`; otherwise throws what each one sees (for `until`'s last error). */
async function oneMaster(expected: string): Promise<boolean> {
  const seen = await Promise.all(AREAS.map(async (n) => ({ n, st: await s.status(n) })));
  if (seen.every(({ st }) => st.master?.node === expected)) return true;
  throw new Error(
    `masters seen: ${seen.map(({ n, st }) => `${n} → ${st.master?.node ?? "none"} (epoch ${st.assignment?.epoch ?? "-"}, ${st.gossip.peers} peers)`).join("; ")}`,
  );
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("the fault tests build network namespaces: run them as root (CI does)");
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  s = await startLabSite({ prefix: "wlead", subnet: "10.210.0" });
  await until(
    "east is master everywhere with an assignment",
    async () => (await oneMaster("east")) && (await s.status("north")).assignment !== null,
    40_000,
    250,
  );
  for (const a of AREAS)
    await until(
      `${a} answering home`,
      async () => {
        const got = (await s.answer(a)).join();
        if (got === home(a).join()) return true;
        const st = await s.status(a);
        throw new Error(
          `${a} answers ${got || "nothing"}, not ${home(a).join()}; it sees ${st.servers.map((v) => `${v.name} ${v.state}${v.reason ? ` (${v.reason})` : ""}`).join(", ")}; ${st.gossip.peers} peers, refused ${JSON.stringify(st.gossip.rejected)}; the unheard reporters' logs end:\n${st.servers
            .filter((v) => v.reason === "no report yet")
            .map((v) => `${v.name}: ${s.procs.get(v.name)?.output().slice(-2000)}`)
            .join("\n")}`,
        );
      },
      20_000,
      250,
    );
}, 90_000);

afterAll(async () => {
  await s?.stop();
});

describe("faults between hosts", () => {
  test("kill -9 of the master: the next candidate takes over and every area keeps live answers", async () => {
    const before = (await s.status("west")).assignment?.epoch ?? 0;
    await s.procs.get("east")?.kill("SIGKILL");
    const ms = await until("west master for west and north", async () => (await mastersOf(["west", "north"])).every((m) => m === "west"), 10_000, 100);
    await until("an assignment of the new master", async () => ((await s.status("north")).assignment?.epoch ?? 0) > before, 10_000, 100);
    expect(await answersLive(["west", "north"])).toBe(true);
    console.log(`master killed: successor seen as master after ${ms.toFixed(0)} ms`);
    s.startNode("east");
    await until("east master again", () => oneMaster("east"), 30_000, 250);
  });

  test("a frozen master (SIGSTOP) is replaced; once thawed, one master is left", async () => {
    const east = s.procs.get("east");
    east?.proc.kill("SIGSTOP");
    try {
      const ms = await until("west master for west and north", async () => (await mastersOf(["west", "north"])).every((m) => m === "west"), 15_000, 100);
      console.log(`master frozen: successor seen as master after ${ms.toFixed(0)} ms`);
      await until("answers live while east is frozen", () => answersLive(["west", "north"]), 10_000, 250);
    } finally {
      east?.proc.kill("SIGCONT");
    }
    const ms = await until("one master after the thaw", () => oneMaster("east"), 30_000, 250);
    console.log(`master thawed: one master again after ${ms.toFixed(0)} ms`);
    await until("east answering again", () => answersLive(AREAS), 15_000, 250);
  });

  test("a partition: each side elects its own master and keeps its areas live; after the heal one master wins", async () => {
    const eastSide = ["east", "web-east-1", "web-east-2"];
    await s.partition(eastSide);
    try {
      await until("a master on each side", async () => (await mastersOf(["east", "west", "north"])).join() === "east,west,west", 15_000, 200);
      await until("every area answers live servers on both sides", () => answersLive(AREAS), 15_000, 250);
      // once east's reports are older than dead_after_ms, the west side points no area there
      await until(
        "no area on the west side points at east's cluster",
        async () => (await s.status("north")).areas.every((a) => a.cluster !== "east"),
        20_000,
        250,
      );
      await until("west and north answering live servers", () => answersLive(["west", "north"]), 10_000, 250);
    } finally {
      await s.heal();
    }
    const ms = await until("one master after the heal", () => oneMaster("east"), 30_000, 100);
    console.log(`partition healed: one master after ${ms.toFixed(0)} ms`);
    await until(
      "every area home again",
      async () => {
        for (const a of AREAS) if ((await s.answer(a)).join() !== home(a).join()) return false;
        return true;
      },
      30_000,
      250,
    );
  });

  // Issue 14: the cut area's own nameserver, stepping down at the heal, used to apply the other
  // side's assignment (made without its servers in sight) for up to a second. Polled every
  // 100 ms; scripts/bench-heal.ts runs the same trial 20 times.
  test("a cut area and the rest answer their healthy homes through the cut and the heal", async () => {
    for (const cut of ["north", "east"]) {
      const r = await healTrial(s, { cut, cutMs: 10_000, afterMs: 3000, everyMs: 100 });
      const partial = r.departures.filter((d) => d.kind === "part of home").length;
      console.log(`heal of ${cut}: ${r.polls} polls, ${r.departures.length} departures (${partial} with part of the home cluster), ${r.unanswered} unanswered`);
      // Another cluster never; part of the home cluster is still seen on a loaded machine (a
      // server's reports late at the area node) and is what scripts/bench-heal.ts measures.
      // The defect this guards is the heal: after it, never another cluster. (During the cut, on a
      // machine running two suites, the cut side has also been seen answering another cluster for
      // a moment: printed, and measured by scripts/bench-heal.ts; issue 14 stays open on it.)
      const elsewhere = r.departures.filter((d) => d.kind === "another cluster");
      if (elsewhere.length) console.log(`heal of ${cut}: answered another cluster ${elsewhere.length} times during the cut`);
      expect([elsewhere.filter((d) => d.afterHealMs !== undefined), r.unanswered]).toEqual([[], 0]);
      await until("one master after the heal", () => oneMaster("east"), 30_000, 250);
    }
  });

  test("with 5 % of packets dropped everywhere, the site keeps answering and a drain still takes effect", async () => {
    await s.loss(5);
    try {
      for (let i = 0; i < 10; i++) {
        expect(await answersLive(AREAS)).toBe(true);
        await Bun.sleep(500);
      }
      const target = s.site.servers.find((x) => x.name === "web-west-1");
      const r = await Bun.$`${WALRUS} drain web-west-1 --config ${s.site.areas[2]?.config}`.quiet().nothrow();
      expect(r.exitCode).toBe(0);
      await until("web-west-1 drained despite the loss", async () => !(await s.answer("west")).includes(target?.host as string), 15_000, 250);
      expect(await oneMaster("east")).toBe(true);
    } finally {
      await s.heal();
    }
  });

  // Issue 14 (7): stopping must not wait for peers a partition cut off (libp2p's polite close
  // waits seconds for them). The bound is the node's 250 ms deadline plus room for a loaded CI
  // machine (373 ms seen there); the typical stop is printed. Last here: it leaves two nodes stopped.
  test("SIGTERM with peers on both sides of a partition: an area node and a reporter each exit within a second", async () => {
    await s.partition(["east", "web-east-1", "web-east-2"]);
    try {
      await Bun.sleep(2000);
      for (const name of ["west", "web-west-1"]) {
        const p = s.procs.get(name);
        const started = performance.now();
        p?.proc.kill("SIGTERM");
        await p?.proc.exited;
        const ms = performance.now() - started;
        console.log(`${name} stopped in ${ms.toFixed(0)} ms, cut off from east's side`);
        expect({ name, exitCode: p?.proc.exitCode, withinASecond: ms <= 1000 }).toEqual({ name, exitCode: 0, withinASecond: true });
      }
    } finally {
      await s.heal();
    }
  });
});
