// Notifications from a real two-area site (compiled binary, fake Apache pages) to real local
// HTTP receivers: one healthy, one that fails its first answers (retries with backoff), one
// that never answers (a failing webhook must not slow the rounds).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, startWeb, until, walrus, WALRUS, writeSite, type Proc, type SiteLayout } from "../../scripts/lib/demo-site.ts";
import type { StatusReport } from "../../src/ops/status.ts";
import type { NoticePayload } from "../../src/ops/notifier.ts";
import { portBlock } from "../../scripts/lib/ports.ts";

const dir = mkdtempSync(join(tmpdir(), "walrus-ops-notify-"));
const procs = new Map<string, Proc>();
let site: SiteLayout;

const received: NoticePayload[] = [];
let flakyRequests = 0;
const flakyReceived: NoticePayload[] = [];
let hangingRequests = 0;
const good = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    received.push((await req.json()) as NoticePayload);
    return new Response("ok");
  },
});
// Answers 500 to every other request: each notice needs a retry.
const flaky = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const body = (await req.json()) as NoticePayload;
    if (flakyRequests++ % 2 === 0) return new Response("try later", { status: 500 });
    flakyReceived.push(body);
    return new Response("ok");
  },
});
const hanging = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch() {
    hangingRequests++;
    return new Promise<Response>(() => {}); // never answers
  },
});

const area = (n: string) => site.areas.find((a) => a.name === n) as SiteLayout["areas"][number];
const notices = (event: string, pred: (p: NoticePayload) => boolean = () => true) => received.filter((p) => p.event === event && pred(p));

async function status(a: string): Promise<StatusReport> {
  const r = await walrus(["status", "--json", "--config", area(a).config]);
  if (r.code !== 0) throw new Error(`walrus status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReport;
}

beforeAll(async () => {
  if (!existsSync(WALRUS)) throw new Error(`${WALRUS} is missing: run \`npm run build\` first (npm test does)`);
  site = writeSite({ dir, areas: ["east", "west"], serversPerArea: 1, basePort: await portBlock(), octet: 8 });
  const commandLog = join(dir, "notices.txt");
  for (const a of site.areas) {
    appendFileSync(
      a.config,
      [
        "[notify]",
        `webhooks = [${[good, flaky, hanging].map((s) => `"http://127.0.0.1:${s.port}/hook"`).join(", ")}]`,
        `command = "printf '%s %s %s\\\\n' \\"$WALRUS_EVENT\\" \\"$WALRUS_SERVER\\" \\"$WALRUS_AREA\\" >> ${commandLog}"`,
        "dead_for_ms = 5000",
        "attempts = 3",
        "",
      ].join("\n"),
    );
    const check = await walrus(["config", "check", "--config", a.config]);
    if (check.code !== 0) throw new Error(`config check: ${check.stderr}`);
  }
  for (const s of site.servers) procs.set(`web:${s.name}`, startWeb(s));
  await Promise.all([...procs.values()].map((p) => p.waitFor(/listening/)));
  for (const x of [...site.areas, ...site.servers]) procs.set(x.name, startNode(x.name, x.config));
  await until(
    "west following east's assignments",
    async () => (await status("west")).assignment !== null && (await status("west")).master?.node === "east",
    30_000,
    250,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([...procs.values()].map((p) => p.kill("SIGKILL")));
  for (const s of [good, flaky, hanging]) s.stop(true);
  if (process.env.WALRUS_KEEP_TEST_DIR) console.log(`test site kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

test("the first master announces itself", async () => {
  await until("a master-change notice from east", () => notices("master-change", (p) => p.node === "east").length > 0, 10_000);
  const n = notices("master-change", (p) => p.node === "east")[0];
  expect(n?.reason).toContain("east is master now");
  expect(n?.site).toBe("demo.test");
});

test("a PANIC and the area forced elsewhere reach every receiver once, with the event's fields", async () => {
  await procs.get("web:web-west-1")?.kill("SIGKILL");
  await until("a panic notice", () => notices("panic").length > 0, 10_000);
  await until("a forced notice", () => notices("forced").length > 0, 10_000);
  const panic = notices("panic")[0] as NoticePayload;
  expect(panic).toMatchObject({ event: "panic", server: "web-west-1", cluster: "west", area: null, site: "demo.test" });
  expect(["east", "west"]).toContain(panic.node); // the master's name (east unless a loaded machine made west master a while)
  expect(panic.reason.length).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(panic.time))).toBe(false);
  expect(panic.text).toBe(`walrus demo.test: server web-west-1 (cluster west) PANIC: ${panic.reason}`);
  expect(notices("forced")[0]).toMatchObject({ event: "forced", area: "west", cluster: "east", server: null });
  console.log(`notification payload (PANIC): ${JSON.stringify(panic)}`);

  // Rounds go on every second while the hanging webhook holds its requests open. An unchanged
  // assignment goes out every second round (REFRESH_ROUNDS), so two more take four rounds.
  expect(hangingRequests).toBeGreaterThan(0);
  const before = (await status("west")).assignment?.seq ?? 0;
  await until("two more assignments", async () => ((await status("west")).assignment?.seq ?? 0) >= before + 2, 8000, 200);
  // The flaky receiver got every notice through a retry.
  await until("the flaky receiver got the panic after a retry", () => flakyReceived.some((p) => p.event === "panic"), 10_000);
  expect(flakyRequests).toBeGreaterThan(flakyReceived.length);
  // The command ran with the notice in its environment.
  await until(
    "the command wrote the panic",
    () => existsSync(join(dir, "notices.txt")) && readFileSync(join(dir, "notices.txt"), "utf8").includes("panic web-west-1"),
    5000,
  );
  // Deduplicated: the panic episode was told once by each master, however many rounds saw it.
  const perNode = new Map<string, number>();
  for (const p of notices("panic", (x) => x.server === "web-west-1")) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
  for (const [node, n] of perNode) expect(`${node}: ${n}`).toBe(`${node}: 1`);
}, 30_000);

test("a server dead longer than dead_for_ms is told", async () => {
  await procs.get("web-west-1")?.kill("SIGKILL"); // its reporter node: no more reports
  await until("a dead notice", () => notices("dead", (p) => p.server === "web-west-1").length > 0, 25_000);
  expect(notices("dead")[0]?.reason).toMatch(/^dead for \d+ s \(.+\)$/);
}, 30_000);

test("only a master notifies; a new master announces itself", async () => {
  await procs.get("east")?.kill("SIGKILL");
  await until("west announces itself", () => notices("master-change", (p) => p.node === "west" && p.reason.endsWith("(was east)")).length > 0, 10_000);
  // Every notice comes from a node that had announced itself master before sending it, and
  // never from a reporter (not a candidate). (A loaded machine may see a brief extra master.)
  const announced = new Set<string>();
  for (const p of received) {
    if (p.event === "master-change") announced.add(p.node);
    expect(`${p.event} from ${p.node}: ${announced.has(p.node) ? "a master" : "not a master"}`).toBe(`${p.event} from ${p.node}: a master`);
  }
  expect([...announced].every((n) => n === "east" || n === "west")).toBe(true);
}, 30_000);
