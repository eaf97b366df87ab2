// One Director backend: an existing primary kept in step with the assignment by signed RFC 2136
// UPDATEs. One exchange at a time (updates stay in order), at most one every min_interval_ms,
// retried with doubling delays while the backend fails. What it holds is read back (signed
// queries) after a start, a change of master, a refused prerequisite or a lost reply, and once a
// minute, so a restarted walrus sends nothing when the backend is already right and a backend
// restored from an old zone file is put right.

import { decode, encode, type Answer } from "dns-packet";
import type { HostPort } from "../core/host-port.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { Timers } from "../core/timers.ts";
import { tsigSign, tsigVerify, type TsigKey } from "../dns/tsig.ts";
import { buildUpdate, updateOutcome } from "../dns/update-message.ts";
import { canonicalAddress } from "../dns/wire.ts";
import { planUpdates, rrsetKey } from "./plan.ts";
import type { DirectedRrset } from "./records.ts";
import { exchangeTcp } from "./transport.ts";

/** A failed exchange is tried again after base × 2^attempt, at most max. */
const RETRY = { baseMs: 500, maxMs: 30_000 } as const;
/** What a backend holds is read again this often: one restored from an old zone file is put right. */
const REREAD_MS = 60_000;

export interface BackendSpec {
  name: string;
  server: HostPort;
  key: TsigKey;
}

export interface BackendStatus {
  name: string;
  server: string;
  /** in-sync: holds the latest assignment; behind: an update is due or under way; failing: the last exchange failed. */
  state: "in-sync" | "behind" | "failing" | "standby";
  /** Outcome of the last exchange: NOERROR, REFUSED, NOTAUTH, BADSIG, BADKEY, NXRRSET, a timeout… */
  lastResult: string;
  lastUpdateAtMs: number | null;
  /** From the assignment's decision to the backend holding it (updated, or read back as already right), for the last change. */
  lastLagMs: number | null;
  /** How far the backend is behind the newest assignment now (0 when in sync). */
  lagMs: number;
  failingSinceMs: number | null;
  updates: number;
  failures: number;
  /** Prerequisites refused: someone else changed a record meanwhile; re-read and re-planned. */
  conflicts: number;
}

export interface BackendInit {
  spec: BackendSpec;
  timeoutMs: number;
  minIntervalMs: number;
  /** Only the master sends; checked before every exchange. */
  isMaster: () => boolean;
  /** A backend starting to fail: tell a human, once per episode. */
  onFailing: (reason: string) => void;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

export interface Backend {
  /** The records wanted now, from an assignment decided at `decidedAtMs`. */
  want(rrsets: readonly DirectedRrset[], decidedAtMs: number): void;
  status(): BackendStatus;
  stop(): void;
}

export function startBackend(init: BackendInit): Backend {
  const { spec, clock, log } = init;
  let desired: readonly DirectedRrset[] | undefined;
  let behindSinceMs: number | undefined;
  let held: Map<string, readonly string[]> | undefined;
  let heldReadAtMs = 0;
  let busy = false;
  let cancelWait: (() => void) | undefined;
  let attempt = 0;
  let stopped = false;
  const st: BackendStatus = {
    name: spec.name,
    server: `${spec.server.host}:${spec.server.port}`,
    state: "standby",
    lastResult: "-",
    lastUpdateAtMs: null,
    lastLagMs: null,
    lagMs: 0,
    failingSinceMs: null,
    updates: 0,
    failures: 0,
    conflicts: 0,
  };

  const signedExchange = async (message: Uint8Array): Promise<Uint8Array> => {
    const now = clock() / 1000;
    const signed = tsigSign(message, spec.key, now);
    const reply = await exchangeTcp(spec.server, signed.bytes, init.timeoutMs);
    const v = tsigVerify(reply, new Map([[spec.key.name, spec.key]]), clock() / 1000, signed.mac);
    // A refused signature comes back unsigned with the TSIG error; the caller names it.
    if (!v.ok && v.error !== "UNSIGNED" && v.error !== "BADKEY") throw new Error(`reply's signature: ${v.error} (${v.detail})`);
    return reply;
  };

  /** Reads what the backend holds for every wanted RRset. */
  const read = async (want: readonly DirectedRrset[]): Promise<Map<string, readonly string[]>> => {
    const out = new Map<string, readonly string[]>();
    for (const r of want) {
      const id = randomId();
      const reply = await signedExchange(new Uint8Array(encode({ id, type: "query", questions: [{ name: r.name, type: r.type, class: "IN" }] })));
      const outcome = updateOutcome(reply, id, "query");
      if (outcome !== "NOERROR" && outcome !== "NXDOMAIN") throw new Error(`reading ${r.name} ${r.type}: ${outcome}`);
      const answers = (decode(Buffer.from(reply)).answers ?? []) as Answer[];
      const addresses = answers.flatMap((a) => (a.type === r.type && a.name.toLowerCase() === r.name ? [canonicalAddress(a.data)] : []));
      out.set(rrsetKey(r), addresses);
    }
    return out;
  };

  /** One exchange towards the wanted records; true when more remain. */
  const step = async (): Promise<boolean> => {
    if (!desired || !init.isMaster()) {
      st.state = "standby";
      held = undefined; // another master may change the backend meanwhile
      return false;
    }
    if (!held || clock() - heldReadAtMs > REREAD_MS) {
      held = await read(desired);
      heldReadAtMs = clock();
      return true;
    }
    const [u] = planUpdates(desired, held);
    if (!u) {
      if (behindSinceMs !== undefined) st.lastLagMs = clock() - behindSinceMs;
      behindSinceMs = undefined;
      st.state = "in-sync";
      return false;
    }
    st.state = "behind";
    const id = randomId();
    let outcome: string;
    try {
      outcome = updateOutcome(await signedExchange(buildUpdate(id, u.zone, u.prerequisites, u.changes)), id, "update");
    } catch (err) {
      held = undefined; // the update may or may not have been applied
      throw err;
    }
    st.lastResult = outcome;
    if (outcome === "NXRRSET" || outcome === "YXRRSET") {
      st.conflicts++;
      held = undefined;
      log.warn("a record changed on the backend meanwhile; reading it again", { backend: spec.name, zone: u.zone, outcome });
      return true;
    }
    if (outcome !== "NOERROR") throw new Error(`update of zone ${u.zone}: ${outcome}`);
    for (const r of u.after) held.set(rrsetKey(r), r.values);
    st.updates++;
    st.lastUpdateAtMs = clock();
    log.info("backend updated", { backend: spec.name, zone: u.zone, changes: u.changes.length });
    return true;
  };

  const schedule = (ms: number) => {
    cancelWait?.();
    cancelWait = init.timers.after(ms, () => {
      cancelWait = undefined;
      kick();
    });
  };

  const kick = () => {
    if (busy || cancelWait || stopped) return;
    busy = true;
    step().then(
      (more) => {
        busy = false;
        if (st.failingSinceMs !== null && st.state !== "standby")
          log.info("backend caught up after failing", { backend: spec.name, failedForMs: clock() - st.failingSinceMs });
        st.failingSinceMs = null;
        attempt = 0;
        if (more) schedule(init.minIntervalMs);
      },
      (err: Error) => {
        busy = false;
        st.failures++;
        st.state = "failing";
        st.lastResult = err.message;
        if (st.failingSinceMs === null) {
          st.failingSinceMs = clock();
          init.onFailing(err.message);
        }
        schedule(Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** attempt++));
      },
    );
  };

  return {
    want(rrsets, decidedAtMs) {
      // Every round repeats the assignment: only a change of content starts a lag.
      if (JSON.stringify(rrsets) !== JSON.stringify(desired)) behindSinceMs ??= decidedAtMs;
      desired = rrsets;
      kick();
    },
    status() {
      return { ...st, lagMs: behindSinceMs === undefined ? 0 : clock() - behindSinceMs };
    },
    stop() {
      stopped = true;
      cancelWait?.();
    },
  };
}

const randomId = () => Math.floor(Math.random() * 65536);
