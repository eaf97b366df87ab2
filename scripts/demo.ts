// Starts a three-area demo site on loopback and prints what to try. Ctrl-C stops it.
//   bun scripts/demo.ts [--dir .demo] [--base-port 47100]
import { appendFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUN, digA, ROOT, startNode, startWeb, type Proc, until, writeSite, WALRUS } from "./lib/demo-site.ts";

const { values } = parseArgs({ options: { dir: { type: "string", default: join(ROOT, ".demo") }, "base-port": { type: "string", default: "47100" } } });
const dir = values.dir as string;
rmSync(dir, { recursive: true, force: true });
// As an operator would: the demo makes its own operator key, and each node gets a grant for
// exactly its roles (writeSite; the key's private half stays in the demo's directory).
const site = writeSite({ dir, basePort: Number(values["base-port"]) });
// Each area node serves /metrics and the live status page, and warns of an uneven spread of
// requests after a minute (the default waits five).
const opsAddress = (i: number) => `127.0.0.1:${Number(values["base-port"]) + 90 + i}`;
site.areas.forEach((a, i) => appendFileSync(a.config, `[metrics]\nlisten = "${opsAddress(i)}"\n[spread]\nskew_for_ms = 60000\n`));
const procs: Proc[] = [];
const stopAll = async () => {
  await Promise.all(procs.map((p) => p.kill()));
};
process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));

const step = (msg: string) => process.stdout.write(`• ${msg}\n`);
try {
  step(`starting ${site.servers.length} demo web servers`);
  for (const s of site.servers) procs.push(startWeb(s));
  await Promise.all(procs.map((p) => p.waitFor(/listening/)));
  step(`starting ${site.areas.length} area nodes (controller + nameserver) and ${site.servers.length} reporter nodes`);
  for (const a of site.areas) procs.push(startNode(a.name, a.config));
  for (const s of site.servers) procs.push(startNode(s.name, s.config));
  step("waiting for a master and the first assignment (about 5 s: candidates listen to the site before standing)");
  const t0 = performance.now();
  for (const a of site.areas) {
    const own = site.servers
      .filter((s) => s.area === a.name)
      .map((s) => s.host)
      .sort();
    await until(
      `area ${a.name} answering with its own servers`,
      async () => (await digA(a.dnsPort, `www.${site.zone}`)).sort().join() === own.join(),
      30_000,
      250,
    );
    step(`area ${a.name} answers with its own servers (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
} catch (err) {
  process.stderr.write(`demo failed to start: ${(err as Error).message}\nlogs: ${dir}\n`);
  await stopAll();
  process.exit(1);
}

const first = site.servers[0];
const ns = site.areas.map((a) => `  dig @127.0.0.1 -p ${a.dnsPort} www.${site.zone} +short     # area ${a.name}`).join("\n");
const east = site.areas[0];
process.stdout.write(`
The demo site ${site.zone} is up: ${site.areas.length} areas, ${site.servers.length} web servers, ${procs.length - site.servers.length} walrus processes.
State and configs are in ${dir}.

Ask each area's nameserver; each answers with its own cluster:
${ns}

See members, the master and where each area points, and why:
  ${WALRUS} status --config ${east?.config}
or live in a browser (each area node; Prometheus metrics at /metrics):
${site.areas.map((a, i) => `  http://${opsAddress(i)}/    # ${a.name}`).join("\n")}

Who may do what is granted by the demo's own operator key (${site.operatorKey}); each node's
grant is in ${dir}/<node>.grants and \`walrus status\` shows it. Withdraw one (the node's
reports are refused from then on, on every node):
  ${WALRUS} revoke --key ${site.operatorKey} --grant demo-${first?.name} --reason "demo" --config ${east?.config}

Drain a server (it leaves every answer within a round), then bring it back:
  ${WALRUS} drain ${first?.name} --config ${east?.config} --reason "maintenance"
  ${WALRUS} undrain ${first?.name} --config ${east?.config}

Overload a server (16 workers each: busy 15 ≥ threshold 0.8): its area keeps answering with the
server still below threshold. Overload both and \`walrus status\` says why the area stays home:
no other cluster of this size could take its load and still be better by the margin (Phase Four).
${site.servers
  .filter((s) => s.area === east?.name)
  .map((s) => `  curl -X POST 'http://${s.host}:${s.webPort}/demo/load?busy=15'`)
  .join("\n")}

Make the traffic uneven, as NCSA saw it (one server of a cluster gets most requests): real
requests to loopback, nine to one within east, for five minutes. The status page shows each
server's requests per second and share, the share per cluster over time and each area's strip;
after a minute \`walrus status\` and the page warn that ${first?.name} takes far more than an
even split:
  ${BUN} ${join(ROOT, "scripts/demo-traffic.ts")} --rate 40 --seconds 300 \\
    ${site.servers
      .filter((s) => s.area === east?.name)
      .map((s, i) => `http://${s.host}:${s.webPort}/=${i === 0 ? 9 : 1}`)
      .join(" ")} \\
    ${site.servers
      .filter((s) => s.area !== east?.name)
      .map((s) => `http://${s.host}:${s.webPort}/=1`)
      .join(" ")}

Kill a web server or the master and watch the answers follow:
${procs
  .filter((p) => p.name === `web:${first?.name}` || p.name === east?.name)
  .map((p) => `  kill ${p.proc.pid}    # ${p.name === east?.name ? `${p.name} node (the master: priority 10)` : `${first?.name} web server`}`)
  .join("\n")}

Ctrl-C stops everything.
`);
await new Promise(() => {});
