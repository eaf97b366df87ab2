// Partition heal seen from outside (network namespaces, real processes; needs root): each trial
// cuts one area (its node and web servers, all healthy) off for --cut-ms, heals, and asks every
// area's own nameserver from the client host every 100 ms until --after-ms past the heal. Any
// answer that is not the area's home cluster is a departure from a healthy home; the target is 0.
//   bun scripts/bench-heal.ts [--trials 20] [--cut-ms 10000] [--after-ms 4000]
import { parseArgs } from "node:util";
import { until } from "./lib/demo-site.ts";
import { healTrial } from "./lib/heal-trial.ts";
import { startLabSite } from "./lib/lab-site.ts";

const { values } = parseArgs({
  options: { trials: { type: "string", default: "20" }, "cut-ms": { type: "string", default: "10000" }, "after-ms": { type: "string", default: "4000" } },
});
const trials = Number(values.trials);
const AREAS = ["east", "west", "north"];
const progress = (msg: string) => process.stderr.write(`${msg}\n`);

const s = await startLabSite({ prefix: "wheal", subnet: "10.214.0" });
const homeEverywhere = async () => {
  for (const a of AREAS)
    if (
      (await s.answer(a)).join() !==
      s.site.servers
        .filter((x) => x.area === a)
        .map((x) => x.host)
        .sort()
        .join()
    )
      return false;
  return true;
};
let departures = 0;
let polls = 0;
let unanswered = 0;
try {
  await until(
    "one master and every area home",
    async () => (await Promise.all(AREAS.map(async (a) => (await s.status(a)).master?.node))).every((m) => m === "east") && (await homeEverywhere()),
    60_000,
    250,
  );
  progress("site up in namespaces");
  for (let i = 0; i < trials; i++) {
    // Every area takes its turn: the master's own (east) and the others.
    const cut = AREAS[i % AREAS.length] as string;
    const r = await healTrial(s, { cut, cutMs: Number(values["cut-ms"]), afterMs: Number(values["after-ms"]), everyMs: 100 });
    departures += r.departures.length;
    polls += r.polls;
    unanswered += r.unanswered;
    const worst = r.departures.map(
      (d) => `${d.area}${d.afterHealMs === undefined ? " during the cut" : ` ${d.afterHealMs} ms after the heal`}: ${d.kind} (${d.got.join(" ")})`,
    );
    progress(
      `trial ${i + 1}/${trials} (cut ${cut}): ${r.polls} polls, ${r.departures.length} departures, ${r.unanswered} unanswered${worst.length ? `; ${worst.slice(0, 3).join("; ")}` : ""}`,
    );
    await until(
      "one master and every area home again",
      async () => (await Promise.all(AREAS.map(async (a) => (await s.status(a)).master?.node))).every((m) => m === "east") && (await homeEverywhere()),
      60_000,
      250,
    );
  }
} catch (err) {
  for (const [name, p] of s.procs) if (p.proc.exitCode !== null) progress(`${name} exited ${p.proc.exitCode}:\n${p.output().slice(-1500)}`);
  for (const a of AREAS) {
    const st = await s.status(a).catch((e: Error) => e.message);
    progress(
      `${a}: ${typeof st === "string" ? st : `master ${st.master?.node}; ${st.areas.map((x) => `${x.area}→${x.cluster} (${x.reason}: ${x.detail})`).join("; ")}`}`,
    );
  }
  throw err;
} finally {
  await s.stop();
}
console.log(
  `partition heal, ${trials} trials, cut ${values["cut-ms"]} ms, answers polled every 100 ms from every area's own nameserver: ${departures} departures from a healthy home in ${polls} polls, ${unanswered} unanswered`,
);
process.exit(departures === 0 && unanswered === 0 ? 0 : 1);
