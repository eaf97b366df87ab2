// Starts a three-area demo site on loopback and prints what to try. Ctrl-C stops it.
//   bun scripts/demo.ts [--dir .demo] [--base-port 47100]
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { publishRelease, releaseRoot, sessionsOf, SSHD_LISTENING, startSshd, writeReplicator } from "./lib/demo-replicator.ts";
import { SAFE_PATH } from "../src/replicate/config.ts";
import { BUN, digA, ROOT, startNode, startWeb, type Proc, until, writeSite, WALRUS } from "./lib/demo-site.ts";

const { values } = parseArgs({ options: { dir: { type: "string", default: join(ROOT, ".demo") }, "base-port": { type: "string", default: "47100" } } });
const dir = resolve(values.dir as string);
// Its paths go into the replicator's ssh and rsync commands, which take plain characters only.
if (!SAFE_PATH.test(dir)) {
  process.stderr.write(`the demo's directory ${dir} must be a path of letters, digits and . _ / + - only: pass --dir /tmp/walrus-demo\n`);
  process.exit(2);
}
rmSync(dir, { recursive: true, force: true });
// As an operator would: the demo makes its own operator key, and each node gets a grant for
// exactly its roles (writeSite; the key's private half stays in the demo's directory).
// East's node is the Replicator: it pushes releases over ssh to every web server's own sshd.
// A server that missed a publish is stale after 5 s and brought over by the resync (every 2 s).
const CONTENT_GRACE_MS = 5000;
const RESYNC_MS = 2000;
const site = writeSite({
  dir,
  basePort: Number(values["base-port"]),
  releases: { rootOf: (s) => releaseRoot(dir, s), replicator: "east", contentGraceMs: CONTENT_GRACE_MS },
});
const replicator = site.areas[0];
if (!replicator) throw new Error("the demo site has no area");
const sshPort = Number(values["base-port"]) + 110;
// A stopped server holds up a publish for timeout_ms per attempt: short, as the demo's tree is.
writeReplicator(site, replicator.config, { sshPort, timeoutMs: 4000, attempts: 2, resyncMs: RESYNC_MS });
const docs = join(dir, "docs");
const logs = join(dir, "logs");
mkdirSync(docs, { recursive: true });
writeFileSync(join(docs, "index.html"), `<!DOCTYPE html>\n<title>demo.test</title>\n<h1>walrus demo: the first release</h1>\n`);
// Each area node serves /metrics and the live status page, and warns of an uneven spread of
// requests after a minute (the default waits five).
const opsAddress = (i: number) => `127.0.0.1:${Number(values["base-port"]) + 90 + i}`;
site.areas.forEach((a, i) => appendFileSync(a.config, `[metrics]\nlisten = "${opsAddress(i)}"\n[spread]\nskew_for_ms = 60000\n`));
const procs: Proc[] = [];
const sshds: Proc[] = [];
const signal = (pids: number[], sig: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // ended meanwhile
    }
  }
};
const stopAll = async () => {
  // An sshd stopped with kill -STOP would hold its SIGTERM until continued. Its sessions are
  // its children: ending them ends the connections the replicator keeps (which would otherwise
  // live on for ControlPersist after the demo).
  for (const p of sshds.filter((p) => p.proc.exitCode === null)) {
    const sessions = sessionsOf(p.proc.pid);
    signal([p.proc.pid, ...sessions], "SIGCONT");
    signal(sessions, "SIGTERM");
  }
  await Promise.all(procs.map((p) => p.kill()));
};
process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));

const step = (msg: string) => process.stdout.write(`• ${msg}\n`);
try {
  const start = performance.now();
  const elapsed = () => `${((performance.now() - start) / 1000).toFixed(1)} s`;
  step(`starting ${site.servers.length} demo web servers, each with its own sshd on port ${sshPort}`);
  for (const s of site.servers) procs.push(startWeb(s, releaseRoot(dir, s.name)));
  sshds.push(...site.servers.map((s) => startSshd(site, s)));
  procs.push(...sshds);
  await Promise.all(procs.map((p) => p.waitFor(p.name.startsWith("sshd:") ? SSHD_LISTENING : /listening/)));
  // The first release goes out while the nodes start and elect a master: no node holds a
  // release to compare with until the publish ends, when every server serves it. Its error is
  // held until then (a rejection nobody awaits yet would end the demo).
  step(`publishing the first release (${docs}) to every web server with rsync over ssh`);
  const published = publishRelease(replicator.config, docs, "first release").then(
    (id) => void step(`every web server serves release ${id} (${elapsed()})`),
    (err: Error) => err,
  );
  step(`starting ${site.areas.length} area nodes (controller + nameserver) and ${site.servers.length} reporter nodes`);
  mkdirSync(logs, { recursive: true });
  for (const n of [...site.areas, ...site.servers]) procs.push(startNode(n.name, n.config, join(logs, `${n.name}.log`)));
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
    step(`area ${a.name} answers with its own servers (${((performance.now() - t0) / 1000).toFixed(1)} s; ${elapsed()} since start)`);
  }
  const failed = await published;
  if (failed) throw failed;
} catch (err) {
  process.stderr.write(`demo failed to start: ${(err as Error).message}\nlogs: ${logs}\n`);
  await stopAll();
  process.exit(1);
}

const first = site.servers[0];
const stoppedSshd = sshds.find((p) => p.name === `sshd:${first?.name}`);
const ns = site.areas.map((a) => `  dig @127.0.0.1 -p ${a.dnsPort} www.${site.zone} +short     # area ${a.name}`).join("\n");
const east = site.areas[0];
process.stdout.write(`
The demo site ${site.zone} is up: ${site.areas.length} areas, ${site.servers.length} web servers, ${procs.filter((p) => !p.name.includes(":")).length} walrus processes.
State and configs are in ${dir}, each node's log in ${logs}.

Ask each area's nameserver; each answers with its own cluster:
${ns}

See members, the master and where each area points, and why:
  ${WALRUS} status --config ${east?.config}
or live in a browser (each area node; Prometheus metrics at /metrics):
${site.areas.map((a, i) => `  http://${opsAddress(i)}/    # ${a.name}`).join("\n")}

Every web server serves the release in its own directory (${join(dir, "www")}/<server>/current),
pushed by east's node (the Replicator) with rsync over ssh to each server's own sshd:
${site.servers.map((s) => `  curl http://${s.host}:${s.webPort}/    # ${s.name}`).join("\n")}
Publish a change (only what changed is sent; each server switches \`current\` atomically once
it holds the whole release), list the kept releases, roll back to the one before:
  echo '<h1>second release</h1>' > ${join(docs, "index.html")}
  ${WALRUS} publish ${docs} --message "second release" --config ${east?.config}
  ${WALRUS} releases --config ${east?.config}
  ${WALRUS} rollback --config ${east?.config}

Make a server miss a publish: stop its sshd and end the sessions it holds open (the replicator
keeps its connections), then publish (the other five switch at once; the stopped one gets two
tries of 4 s, and the publish ends after about 10 s). \`walrus status\` says "stale: release …, current …", and after
content_grace_ms (${CONTENT_GRACE_MS / 1000} s) ${first?.name} leaves east's answers. Let sshd go on: the resync (every
${RESYNC_MS / 1000} s) brings it onto the current release and it is back in the answers:
  kill -STOP ${stoppedSshd?.proc.pid}; pkill -P ${stoppedSshd?.proc.pid}    # sshd of ${first?.name}
  echo '<h1>third release</h1>' > ${join(docs, "index.html")}
  ${WALRUS} publish ${docs} --message "third release" --config ${east?.config}
  ${WALRUS} status --config ${east?.config}
  dig @127.0.0.1 -p ${east?.dnsPort} www.${site.zone} +short
  kill -CONT ${stoppedSshd?.proc.pid}

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
