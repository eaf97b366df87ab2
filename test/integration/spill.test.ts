// Graded shedding with real processes (issue 19): the demo site in namespaces, east's two web
// servers near full. Clients of 20 distinct /24s ask east's nameserver from the client host,
// each network named by EDNS Client Subnet as a public resolver sends it; each network's users
// then load whichever web cluster it was answered with (the test sets each demo web server's
// busy workers from those answers). East stays home but spills part of its networks to west or
// north, until its load is below threshold. (Distinct *source* addresses, as /32 aliases in
// other /24s on the client host, lose about a third of their replies from walrus in this lab,
// with main's binary too, so the networks are told apart by ECS here.)
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { until, WALRUS } from "../../scripts/lib/demo-site.ts";
import { startLabSite, type LabSite } from "../../scripts/lib/lab-site.ts";
import { needs } from "./needs.ts";

setDefaultTimeout(150_000);
const RESOLVERS = 20;
/** Network k is 10.220.k.0/24. */
const RESOLVER_NET = "10.220";
const MAX_WORKERS = 16;
/** East's resolvers together keep 28 workers busy (east's two servers at 15 of 16 with the idle one each). */
const DEMAND_WORKERS = 28;
const IDLE_WORKERS = 1;

const ready = needs("graded shedding in namespaces", { root: true, tools: ["dig", "curl", "nft"], files: [WALRUS] });
let s: LabSite;

beforeAll(async () => {
  if (!ready) return;
  s = await startLabSite({ prefix: "wspill", subnet: "10.219.0" });
  await until("an assignment everywhere", async () => (await s.status("east")).assignment !== null && (await s.status("north")).assignment !== null, 60_000, 250);
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

/** Where each network was last answered: a lookup lost on this busy machine keeps the last answer (its users stay where they were). */
let last: string[] = Array.from({ length: RESOLVERS }, () => "east");

/** The cluster east's nameserver answers each network with, by the addresses of the answer. */
async function answers(): Promise<string[]> {
  const east = s.site.areas.find((a) => a.name === "east");
  const script = Array.from({ length: RESOLVERS }, (_, i) => `echo "$(dig +subnet=${RESOLVER_NET}.${i + 1}.0/24 @${east?.host} -p ${east?.dnsPort} www.${s.site.zone} A +short +time=2 +tries=3 | tr '\\n' ' ')"`).join("\n");
  const r = await s.lab.run("client", ["sh", "-c", script], { timeoutMs: 120_000 });
  const clusterOf = new Map(s.site.servers.map((x) => [x.host, x.area]));
  const lines = r.stdout.split("\n");
  last = last.map((was, i) => clusterOf.get(lines[i]?.trim().split(" ")[0] ?? "") ?? was);
  return last;
}

/** Each cluster's web servers get the workers of the resolvers answered with it. */
async function applyLoad(answered: string[]): Promise<void> {
  for (const x of s.site.servers) {
    const resolvers = answered.filter((c) => c === x.area).length;
    const busy = Math.min(MAX_WORKERS, IDLE_WORKERS + Math.round((resolvers / RESOLVERS) * DEMAND_WORKERS / 2));
    const r = await s.lab.run(x.name, ["curl", "-sf", "-X", "POST", `http://${x.host}:${x.webPort}/demo/load?busy=${busy}`]);
    if (r.code !== 0) throw new Error(`setting ${x.name}'s load: curl exit ${r.code}`);
  }
}

const eastLoad = async () => {
  const loads = (await s.status("east")).servers.filter((v) => v.cluster === "east").map((v) => v.load ?? 1);
  return loads.reduce((a, b) => a + b, 0) / loads.length;
};

test.skipIf(!ready)("east near full, west and north idle: east stays home and spills part of its resolvers until its load is below threshold", async () => {
  let answered = await answers();
  expect(answered.every((c) => c === "east")).toBe(true);
  await applyLoad(answered);
  await until("east overloaded in its own figures", async () => (await eastLoad()) >= 0.8, 30_000, 500);

  // The feedback loop: resolvers ask, their clients load what they were told; bounded in time.
  await until(
    "east below threshold with part of its resolvers on west or north",
    async () => {
      answered = await answers();
      await applyLoad(answered);
      return answered.some((c) => c === "west" || c === "north") && (await eastLoad()) < 0.8;
    },
    100_000,
    500,
  );
  const moved = answered.filter((c) => c !== "east").length;
  expect(moved).toBeGreaterThan(0);
  expect(moved).toBeLessThan(RESOLVERS / 2);
  const status = await s.status("east");
  const east = status.areas.find((a) => a.area === "east");
  expect(east?.cluster).toBe("east");
  expect(east?.spill?.[0]?.text).toMatch(/^east \d+ % → (west|north): east load 0\.\d\d ≥ 0\.8, (west|north) 0\.\d\d$/);
  expect(status.decisions.some((d) => d.reason === "spill")).toBe(true);
  // The same resolver is answered the same way on a second ask.
  expect(await answers()).toEqual(answered);
});
