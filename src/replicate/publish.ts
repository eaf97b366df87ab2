// The replicator's operations: publish a tree as a release to every web server, and roll back to
// a kept one. Every server stages and verifies the release, and only then is its `current`
// switched; the servers go at their own pace, so one that fails or hangs delays no other. A
// server that fails keeps serving its whole previous release and is named with its error.
import type { ReplicatorConfig } from "../replicate/config.ts";
import type { Clock } from "../core/clock.ts";
import { StateDir } from "../state/store.ts";
import { parseHistory, recordPublish, recordRollback, retryDelayMs, rollbackTarget, type ReleaseHistory } from "./history.ts";
import { takePublishLock } from "./lock.ts";
import { makeManifest, type Manifest, type ReleaseId } from "./manifest.ts";
import { remoteFor, stageDir, type Remote, type Step, type Target } from "./remote.ts";
import { compareListing, listingDigest, toPrune, type RemoteState } from "./remote-state.ts";
import { readTree, type DigestCache } from "./tree.ts";

const HISTORY_FILE = "releases.json";
const DIGESTS_FILE = "tree-digests.json";

export interface ServerOutcome {
  server: string;
  /** The release it served before, and serves now (the same when it failed). */
  before?: ReleaseId;
  now?: ReleaseId;
  sentBytes?: number;
  attempts: number;
  error?: string;
}

export interface ReplicateResult {
  ok: boolean;
  id?: ReleaseId;
  manifest?: Manifest;
  servers: ServerOutcome[];
  error?: string;
  /** Not started: another publish, rollback or resync holds the lock. */
  busy?: true;
}

export interface ReplicateInit {
  cfg: ReplicatorConfig;
  stateDir: string;
  clock: Clock;
  /** One line of progress (a retry and its error, a server done). */
  say: (line: string) => void;
  /** Waits between retries; tests and benchmarks pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** `call` runs `f` the first time only. */
function once(f: () => void): { call: () => void; called: () => boolean } {
  let done = false;
  return {
    call: () => {
      if (!done) f();
      done = true;
    },
    called: () => done,
  };
}

/**
 * The replicator node's connections to every web server, kept open between publishes (a few at a
 * time, as a site may have hundreds): an operator's publish then skips every ssh handshake.
 * Returns how many servers answered.
 */
export async function keepConnections(cfg: ReplicatorConfig, stateDir: string): Promise<number> {
  const remote = remoteFor(cfg, stateDir);
  const queue = targetsOf(cfg);
  let answered = 0;
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) if (await remote.warm(t)) answered++;
  };
  await Promise.all(Array.from({ length: Math.min(WARM_AT_ONCE, queue.length) }, worker));
  return answered;
}
const WARM_AT_ONCE = 8;

const targetsOf = (cfg: ReplicatorConfig): Target[] => [...cfg.hosts].map(([server, host]) => ({ server, host, root: cfg.roots.get(server) ?? "" }));

async function retried<T>(init: ReplicateInit, server: string, what: string, step: () => Promise<Step<T>>): Promise<Step<T> & { attempts: number }> {
  const sleep = init.sleep ?? Bun.sleep;
  for (let attempt = 1; ; attempt++) {
    const r = await step();
    if (r.ok || attempt >= init.cfg.attempts) return { ...r, attempts: attempt };
    const delay = retryDelayMs(attempt);
    init.say(`${server}: ${what}: ${r.error}; retry ${attempt + 1}/${init.cfg.attempts} in ${delay / 1000} s`);
    await sleep(delay);
  }
}

interface Run extends ReplicateInit {
  remote: Remote;
}

/**
 * Brings one server onto `m`: stages it, then verifies and switches it in one command (all
 * retried), whatever the other servers do: a server that fails or does not answer holds up no
 * other. It keeps serving its whole previous release, and its staging copy, if it got one, is
 * removed.
 * `inspecting` is this server's first inspection, when the caller started it early;
 * `switched` is called once it serves `m`.
 */
async function pushTo(
  run: Run,
  t: Target,
  dir: string,
  m: Manifest,
  keep: ReadonlySet<string>,
  switched: () => void,
  inspecting?: Promise<Step<RemoteState>>,
): Promise<ServerOutcome> {
  let before: ReleaseId | undefined;
  let staging = false;
  let sentBytes = 0;
  const digest = listingDigest(m);
  const r = await retried(run, t.server, "push", async (): Promise<Step<unknown>> => {
    const state = await (inspecting ?? run.remote.inspect(t));
    inspecting = undefined;
    if (!state.ok) return state;
    before = state.value.current;
    staging = true;
    const sent = await run.remote.stage(t, dir, state.value, m.id);
    if (!sent.ok) return sent;
    sentBytes = sent.value;
    const stageName = stageDir(state.value, m.id);
    const prune = toPrune(state.value, keep, m.id);
    const done = await run.remote.verifyAndSwitch(t, stageName, m.id, digest, prune);
    if (done.ok || !("differs" in done)) return done;
    // The digests disagree: the listing says how. (None found: file names that are not UTF-8
    // read differently on either side; the listing compares them as text, and then switches.)
    const listing = await run.remote.listStaged(t, stageName);
    if (!listing.ok) return listing;
    const problems = compareListing(m, listing.value);
    if (problems.length) return { ok: false, error: `the copy differs from the release: ${problems.join("; ")}` };
    return run.remote.switchTo(t, m.id, prune);
  });
  const out: ServerOutcome = { server: t.server, attempts: r.attempts, ...(before && { before, now: before }) };
  if (!r.ok) {
    if (staging) await run.remote.discardPartial(t, m.id);
    return { ...out, error: r.error };
  }
  switched();
  return { ...out, sentBytes, now: m.id };
}

/** How long a publish or rollback waits for a resync under way (one ssh try is bounded by timeout_ms, most are quick). */
const RESYNC_WAIT_MS = 60_000;
const RESYNC_POLL_MS = 250;

function loadHistory(state: StateDir): ReleaseHistory {
  return parseHistory(state.readJson(HISTORY_FILE));
}

/** Runs `body` holding the publish lock. */
async function locked(
  init: ReplicateInit,
  what: string,
  body: (run: Run, state: StateDir, targets: Target[]) => Promise<ReplicateResult>,
): Promise<ReplicateResult> {
  const state = new StateDir(init.stateDir);
  let lock = takePublishLock(init.stateDir, what, init.clock());
  // The node's resync is the background's: an operator's publish or rollback waits for it.
  const until = init.clock() + RESYNC_WAIT_MS;
  if (!lock.ok && lock.holder === "resync" && what !== "resync")
    init.say(`waiting for the node's resync to finish (${lock.error.replace(/; wait for it to finish$/, "")})`);
  while (!lock.ok && lock.holder === "resync" && what !== "resync" && init.clock() < until) {
    await Bun.sleep(RESYNC_POLL_MS);
    lock = takePublishLock(init.stateDir, what, init.clock());
  }
  if (!lock.ok) return { ok: false, servers: [], error: lock.error, ...(lock.held && { busy: true as const }) };
  const run: Run = { ...init, remote: remoteFor(init.cfg, init.stateDir) };
  const targets = targetsOf(init.cfg);
  try {
    return await body(run, state, targets);
  } finally {
    lock.release();
  }
}

/** The tree at `dir` as a release, its digests cached in the state directory for the next time. */
function releaseOf(state: StateDir, dir: string): { ok: true; m: Manifest } | { ok: false; error: string } {
  const cached = state.readJson(DIGESTS_FILE) as { dir?: string; digests?: DigestCache } | undefined;
  const tree = readTree(dir, cached?.dir === dir && cached.digests ? cached.digests : {});
  if (!tree.ok) return { ok: false, error: `cannot make a release of ${dir}:\n  ${tree.problems.join("\n  ")}` };
  state.writeJson(DIGESTS_FILE, { dir, digests: tree.digests });
  return { ok: true, m: makeManifest(tree.entries) };
}

export function publish(init: ReplicateInit, dir: string, message: string): Promise<ReplicateResult> {
  return locked(init, "publish", async (run, state, targets) => {
    // Every server is connected to and inspected while the tree is read (a new tree's digests
    // take a while): neither waits for the other.
    const inspecting = targets.map((t) => run.remote.inspect(t));
    const made = releaseOf(state, dir);
    if (!made.ok) {
      await Promise.all(inspecting);
      return { ok: false, servers: [], error: made.error };
    }
    const m = made.m;
    const history = loadHistory(state);
    const record = () => recordPublish(history, m, init.clock(), message, init.cfg.keepReleases, dir);
    init.say(`release ${m.id}: ${m.files} files, ${m.bytes} bytes`);
    const keep = new Set(record().releases.map((r) => r.id));
    // The release is the site's current one as soon as one server serves it (else the servers
    // that switched would count as stale while another is still tried): the rest are stale after
    // content_grace_ms counted from then.
    const live = once(() => state.writeJson(HISTORY_FILE, record()));
    const servers = await Promise.all(targets.map((t, i) => pushTo(run, t, dir, m, keep, live.call, inspecting[i])));
    return {
      ok: servers.every((s) => !s.error),
      id: m.id,
      manifest: m,
      servers,
      ...(!live.called() && { error: "no server took the release; every server keeps its previous one" }),
    };
  });
}

/**
 * Brings the named servers (a new one, one that missed a publish) onto the current release,
 * from the tree it was published from, as long as that tree still is that release: the tree
 * is the primary copy (thesis §4), and a tree changed since must be published, not copied.
 */
export function resync(init: ReplicateInit, servers: readonly string[]): Promise<ReplicateResult> {
  return locked(init, "resync", async (run, state, targets) => {
    const history = loadHistory(state);
    const record = history.releases.find((r) => r.id === history.current);
    if (!record?.dir) return { ok: false, servers: [], error: "no current release published from a tree on this host" };
    const made = releaseOf(state, record.dir);
    if (!made.ok) return { ok: false, servers: [], error: made.error };
    if (made.m.id !== record.id)
      return { ok: false, servers: [], error: `${record.dir} has changed since release ${record.id} was published from it: publish it again` };
    const keep = new Set(history.releases.map((r) => r.id));
    const out = await Promise.all(
      targets.filter((t) => servers.includes(t.server)).map((t) => pushTo(run, t, record.dir as string, made.m, keep, () => undefined)),
    );
    return { ok: out.every((s) => !s.error), id: record.id, manifest: made.m, servers: out };
  });
}

export function rollback(init: ReplicateInit, to?: string): Promise<ReplicateResult> {
  return locked(init, "rollback", async (run, state, targets) => {
    const history = loadHistory(state);
    const target = rollbackTarget(history, to);
    if (!target.ok) return { ok: false, servers: [], error: target.error };
    const id = target.id;
    // Recorded once one server serves it, as a publish is.
    const live = once(() => state.writeJson(HISTORY_FILE, recordRollback(history, id, init.clock())));
    const servers = await Promise.all(
      targets.map(async (t): Promise<ServerOutcome> => {
        let before: ReleaseId | undefined;
        const r = await retried(run, t.server, "rollback", async () => {
          const s = await run.remote.inspect(t);
          if (!s.ok) return s;
          before = s.value.current;
          if (!s.value.releases.includes(id))
            return { ok: false, error: `release ${id} is not on this server (it holds ${s.value.releases.join(", ") || "none"})` };
          const switched = await run.remote.switchTo(t, id, []);
          if (switched.ok) live.call();
          return switched;
        });
        return {
          server: t.server,
          attempts: r.attempts,
          ...(before && { before }),
          ...(r.ok ? { now: id } : { ...(before && { now: before }), error: r.error }),
        };
      }),
    );
    return { ok: servers.every((s) => !s.error), id, servers };
  });
}

/** The replicator's record, for `walrus releases` and the reporters' staleness rule. */
export function releaseHistory(stateDir: string): ReleaseHistory {
  return loadHistory(new StateDir(stateDir));
}
