// The status report (what `walrus status`, the status page and /metrics show) and how it is
// built; the control socket only carries it, commands/status-format.ts prints it.
import type { Resync, ResyncFailure } from "../replicate/resync.ts";
import { isOpen, permissions } from "../authority/authority.ts";
import { describeRoles } from "../authority/grant.ts";
import type { NodeConfig } from "../config/types.ts";
import type { Clock } from "../core/clock.ts";
import { describeShare } from "../assign/spill-text.ts";
import type { Bus } from "../net/bus.ts";
import type { DecisionEntry } from "./decision-log.ts";
import type { ProcessUsage } from "./process-usage.ts";
import type { Assignment, AssignReason, ServerState } from "../core/types.ts";
import type { Nameserver } from "../roles/nameserver.ts";
import type { BackendStatus } from "../director/backend.ts";
import type { Director } from "../director/director.ts";
import type { SiteSnapshot, SiteView } from "../roles/site-view.ts";
import { locationStatus, type LocationStatus } from "../geo/location-status.ts";
import type { Learning } from "../geo/learning.ts";
import type { LocationMap } from "../geo/location-map.ts";
import type { SteeringCounts } from "../geo/steering-counts.ts";
import type { HistorySample } from "./history-sample.ts";
import type { SpreadStatus } from "./skew.ts";

/** The history to include in a status report: samples after this time (omit for none). */
export interface HistoryWanted {
  historySinceMs?: number;
}

export interface StatusReport {
  node: string;
  peer: string;
  /** `version`: the site document in force (0: the node's own file, never pushed). */
  site: { zone: string; digest: string; version: number };
  roles: string[];
  master: { peer: string; node: string; self: boolean } | null;
  members: {
    node: string;
    peer: string;
    roles: string[];
    priority: number | null;
    live: boolean;
    siteMatches: boolean;
    heardAgoMs: number;
    granted: string | null;
  }[];
  /** Grants in force ("open": no operator key configured, every member may do everything). */
  authority: { mode: "open" | "grants"; operatorKeys: number; revoked: string[] };
  assignment: { master: string; epoch: number; seq: number; ageMs: number } | null;
  /** `spill`: the area's shares answered with other clusters (issue 19), with their words. */
  areas: {
    area: string;
    cluster: string;
    servers: string[];
    reason: AssignReason | "unassigned";
    detail: string;
    spill?: { to: string; fraction: number; text: string }[];
  }[];
  servers: {
    name: string;
    cluster: string;
    state: ServerState;
    measured: string;
    load: number | null;
    threshold: number;
    drained: boolean;
    drainReason: string;
    /** Not in the site document: added by its own node's reporter grant (authority/self-registration.ts). */
    selfRegistered: boolean;
    reason: string;
    release: string | null;
    stale: boolean;
  }[];
  dns: { queries: number; responses: Record<string, number> } | null;
  gossip: { peers: number; accepted: Record<string, number>; rejected: Record<string, number> };
  /** This node's own memory and CPU time. */
  process: ProcessUsage;
  /** Recent changes of where areas point, newest first (see ops/decision-log.ts). */
  decisions: DecisionEntry[];
  /** The location map: versions across nameservers and how queries were steered. */
  locations: LocationStatus | null;
  /** [director] backends on this node: their state, last update and lag behind the assignment. */
  director?: BackendStatus[];
  /** The replicator's node: servers its resync has not brought onto the current release yet, and why. */
  resync?: ResyncFailure[];
  /** Each server's and cluster's requests per second and shares; the NCSA warning (spread.ts). */
  spread?: SpreadStatus;
  /** The node's recent history, oldest first, when asked for (history.ts). */
  history?: HistorySample[];
}

export function buildStatus(s: {
  config: NodeConfig;
  digest: string;
  view: SiteView;
  nameserver?: Nameserver;
  director?: Director;
  resync?: Pick<Resync, "failing">;
  bus: Bus;
  clock: Clock;
  usage: ProcessUsage;
  decisions?: DecisionEntry[];
  locations?: { map: LocationMap; steering?: SteeringCounts; learned?: Pick<Learning, "status"> };
}): StatusReport {
  const { config, digest } = s;
  const now = s.clock();
  const view = s.view.snapshot(now);
  // The site in force here, with the servers that registered themselves.
  const site = view.site;
  const master = view.master;
  const assignment = assignmentShown(view, s.nameserver);
  // Every live nameserver's map version, this node's own included.
  const nameserverMaps = (own: string) => [
    ...(config.nameserver ? [{ node: config.node.name, version: own }] : []),
    ...[...view.members.values()]
      .filter((m) => m.peer !== view.self && m.roles.includes("nameserver") && view.isLive(m.peer))
      .map((m) => ({ node: m.node, version: view.mapVersions.get(m.peer) })),
  ];
  return {
    node: config.node.name,
    peer: view.self,
    site: { zone: site.zone, digest, version: site.version },
    roles: [config.reporter && "reporter", config.controller && "controller", config.nameserver && "nameserver"].filter((r): r is string => !!r),
    master: master ? { peer: master, node: view.members.get(master)?.node ?? "?", self: master === view.self } : null,
    members: [...view.members.values()]
      .map((m) => ({
        node: m.node,
        peer: m.peer,
        roles: m.roles,
        priority: m.priority ?? null,
        live: view.isLive(m.peer),
        siteMatches: m.site === digest,
        heardAgoMs: now - m.lastHeardMs,
        granted: isOpen(view.authority) ? null : describeRoles(permissions(view.authority, m.peer, now)),
      }))
      .sort((a, b) => a.node.localeCompare(b.node)),
    authority: { mode: isOpen(view.authority) ? "open" : "grants", operatorKeys: view.authority.trusted.size, revoked: [...view.authority.revoked.keys()] },
    assignment: assignment ? { master: assignment.master, epoch: assignment.epoch, seq: assignment.seq, ageMs: now - assignment.atMs } : null,
    ...siteRows(view, assignment),
    dns: s.nameserver ? { queries: s.nameserver.stats.queries, responses: s.nameserver.stats.responses } : null,
    gossip: { peers: s.bus.connectedPeers().length, accepted: view.counters.accepted, rejected: view.counters.rejected },
    process: s.usage,
    decisions: s.decisions ?? [],
    locations: s.locations
      ? locationStatus(
          s.locations.map,
          nameserverMaps(s.locations.map.version),
          s.locations.steering?.snapshot() ?? null,
          s.locations.learned?.status() ?? null,
        )
      : null,
    ...(s.director ? { director: s.director.status() } : {}),
    ...(s.resync ? { resync: s.resync.failing() } : {}),
  };
}

/** What this node serves (a nameserver), else the assignment in force here. */
export function assignmentShown(view: SiteSnapshot, nameserver: Nameserver | undefined): Assignment | undefined {
  return nameserver?.served().assignment ?? view.followed?.assignment;
}

/** Where each area points and each server's state, as this node sees them: shown by status, sampled into the history (spread.ts). */
export function siteRows(view: SiteSnapshot, assignment: Assignment | undefined): Pick<StatusReport, "areas" | "servers"> {
  const site = view.site;
  const byArea = new Map((assignment?.areas ?? []).map((a) => [a.area as string, a]));
  return {
    areas: site.areas.map((a) => {
      const x = byArea.get(a.name);
      return x
        ? {
            area: a.name,
            cluster: x.cluster,
            servers: x.servers,
            reason: x.reason,
            detail: x.detail,
            spill: (x.spill ?? []).map((sh) => ({ to: sh.to, fraction: sh.fraction, text: describeShare(a.name, sh) })),
          }
        : {
            area: a.name,
            cluster: a.name,
            servers: site.servers.filter((sv) => sv.area === a.name).map((sv) => sv.name),
            reason: "unassigned" as const,
            detail: "no assignment yet: answering with the home cluster",
          };
    }),
    servers: view.servers.map((v) => {
      const drain = view.drains.get(v.name);
      const rec = view.reports.get(v.name);
      return {
        name: v.name,
        cluster: v.cluster,
        state: v.state,
        measured: rec ? rec.report.status : "none",
        load: v.load ?? rec?.lastGood?.load ?? null,
        threshold: site.loadThreshold,
        drained: drain?.drained ?? false,
        drainReason: drain?.drained ? drain.reason : "",
        selfRegistered: view.selfRegistered.has(v.name),
        reason: v.reason ?? "",
        release: rec?.report.release ?? null,
        stale: v.stale !== undefined,
      };
    }),
  };
}
