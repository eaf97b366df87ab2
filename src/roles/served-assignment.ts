// What a nameserver answers with, and why. In order of preference:
//   master  the assignment in force (newest from the master of this node's own view);
//   saved   the last one applied before a restart, until the master is heard again;
//   local   once the assignment in force has not been refreshed for max_staleness_ms (no
//           master on this side of a partition), the nameserver decides for itself from the
//           reports it still hears: each area on its home cluster, unless that cluster has no
//           functioning server, then on the best that has one (Phases Two and Three, no
//           balancing). It never answers empty while it knows a functioning server.
//   home    nothing heard yet (for max_staleness_ms after a start): every area's home cluster.
// The last assignment from a master is written atomically and served again after a restart.
import { decide } from "../assign/decide.ts";
import { guardAssignment, type Reign } from "../assign/heal-guard.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { AreaAssignment, AreaName, Assignment, Site } from "../core/types.ts";
import { decode, encode } from "../net/messages.ts";
import type { StateStore } from "../state/store.ts";
import type { SiteSnapshot, SiteView } from "./site-view.ts";

const ASSIGNMENT_FILE = "assignment.json";

export type ServedSource = "master" | "saved" | "local" | "home";

export interface Served {
  assignment: Assignment | undefined;
  source: ServedSource;
}

export class ServedAssignment {
  private saved: { assignment: Assignment; sinceMs: number } | undefined;
  private served: Served = { assignment: undefined, source: "home" };
  private lastWritten: Assignment | undefined;
  private reign: (Reign & { key: string }) | undefined;
  private readonly listeners: (() => void)[] = [];
  private readonly startedMs: number;
  /** The site in force (adoptSite replaces it). */
  private site: Site;

  constructor(private readonly init: { site: Site; digest: string; view: SiteView; state: StateStore; clock: Clock; log: Logger }) {
    this.site = init.site;
    this.startedMs = init.clock();
    const a = loadSaved(init.state, init.digest);
    if (a) {
      this.saved = { assignment: a, sinceMs: init.clock() };
      init.log.info("serving the saved assignment", { master: a.master, epoch: a.epoch, seq: a.seq });
    }
    init.view.onFollow(() => this.refresh());
    this.refresh();
  }

  current(): Served {
    return this.served;
  }

  /** Called when what is served may change: a followed assignment, or time passing (staleness). */
  onChange(l: () => void): void {
    this.listeners.push(l);
  }

  /** A newer site document: decisions made here use its areas and limits from now on. */
  adoptSite(site: Site): void {
    this.site = site;
    this.refresh();
  }

  refresh(): void {
    const { view, clock } = this.init;
    const site = this.site;
    const now = clock();
    const s = view.snapshot(now);
    const followed = s.followed ?? (this.saved ? { assignment: this.saved.assignment, receivedAtMs: this.saved.sinceMs } : undefined);
    let next: Served;
    if (followed && now - followed.receivedAtMs <= site.maxStalenessMs) {
      next = { assignment: followed.assignment, source: s.followed ? "master" : "saved" };
    } else if (followed || now - this.startedMs >= site.maxStalenessMs) {
      next = { assignment: localDecision(site, s), source: "local" };
    } else {
      next = { assignment: undefined, source: "home" };
    }
    if (next.source === "master" && next.assignment && next.assignment !== this.lastWritten) this.persist(next.assignment);
    if (next.source === "master" && next.assignment) next = { ...next, assignment: this.guardHeal(next.assignment, s, now) };
    const changed = next.source !== this.served.source || !sameAnswers(next.assignment, this.served.assignment);
    if (next.source !== this.served.source) this.init.log.info("answering from", { source: next.source, master: next.assignment?.master ?? "-" });
    this.served = next;
    if (changed) for (const l of this.listeners) l();
  }

  /** A new master's assignment, with this side's healthy homes kept for a while (assign/heal-guard.ts). */
  private guardHeal(a: Assignment, s: SiteSnapshot, now: number): Assignment {
    const site = this.site;
    const key = `${a.master}/${a.epoch}`;
    if (this.reign?.key !== key) this.reign = { key, sinceMs: now, before: this.served.assignment };
    // Enough for the new master to hear our reports and let any cooldown on the way home pass.
    const holdMs = site.deadAfterMs + (site.cooldownRounds + 1) * site.roundIntervalMs;
    return guardAssignment(a, this.reign, () => localDecision(site, s), now, holdMs);
  }

  private persist(a: Assignment): void {
    // Only the content matters after a restart: skip rewriting an unchanged one every round.
    if (!sameAnswers(a, this.lastWritten)) this.init.state.write(ASSIGNMENT_FILE, encode({ type: "assignment", site: this.init.digest, assignment: a }));
    this.lastWritten = a;
  }
}

/** Each area on its home cluster unless that has no functioning server (Phases Two and Three, no balancing). */
function localDecision(site: Site, s: SiteSnapshot): Assignment {
  const d = decide({
    areas: site.areas.map((a) => a.name),
    servers: s.servers,
    previous: new Map<AreaName, AreaName>(),
    threshold: site.loadThreshold,
    margin: site.balanceMargin,
    cooling: new Set(site.areas.map((a) => a.name)), // no balancing without a master
  });
  return {
    master: s.self,
    epoch: 0,
    seq: 0,
    atMs: s.atMs,
    areas: d.areas.map((a) => ({ ...a, detail: `decided here, no master heard for ${site.maxStalenessMs} ms: ${a.detail}` })),
  };
}

/** Whether two assignments answer alike: same clusters, servers and spill shares per area. */
export function sameAnswers(a: Assignment | undefined, b: Assignment | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.areas.length === b.areas.length &&
    a.areas.every(
      (x, i) =>
        x.area === b.areas[i]?.area &&
        x.cluster === b.areas[i]?.cluster &&
        x.servers.join() === b.areas[i]?.servers.join() &&
        sharesText(x) === sharesText(b.areas[i]),
    )
  );
}

const sharesText = (x: AreaAssignment | undefined) => (x?.spill ?? []).map((s) => `${s.to}:${s.fraction}:${s.servers.join()}`).join(" ");

/** The saved assignment is stored as its gossip message, so the same schema check guards it. */
function loadSaved(state: StateStore, digest: string): Assignment | undefined {
  const bytes = state.read(ASSIGNMENT_FILE);
  if (!bytes) return undefined;
  const d = decode("assignments", bytes);
  return d.ok && d.msg.type === "assignment" && d.msg.site === digest ? d.msg.assignment : undefined;
}
