// Pure validation of one node's parsed TOML: returns the typed config or every error at once.
import { isIP } from "node:net";
import { operatorKeyProblem } from "../authority/operator-key.ts";
import { resolve } from "node:path";
import { areaName, LOAD_TERMS, serverName, type AreaSpec, type LoadTerm, type OperatorKeyText, type ServerSpec, type Site } from "../core/types.ts";
import { validateLearn } from "../geo/learn-config.ts";
import { LOCATION_KEYS, validateLocations } from "../geo/map-config.ts";
import { NAMESERVER_DNS_KEYS, nameserverDns, SITE_DNS_KEYS, siteDns } from "../dns/config.ts";
import { Fields, isTable, join, type ConfigError, type Table } from "../core/fields.ts";
import type { NodeConfig, NotifyConfig } from "./types.ts";
import { parseHostPort, type HostPort } from "../core/host-port.ts";
import { validateReplicator } from "../replicate/config.ts";
import { validateReporter } from "../report/config.ts";
import { validateDirector } from "../director/config.ts";
import { validateUpdateAllow } from "../dns/update-config.ts";
import { validateSpread } from "./spread.ts";
import { qualify } from "../core/names.ts";

export type Validated = { ok: true; config: NodeConfig } | { ok: false; errors: ConfigError[] };

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const NAME_EXPECTED = "a name of lower-case letters, digits and inner hyphens (at most 63)";
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** A host name, or a wildcard: "*" as the first label of one (RFC 4592). */
const isOwnerName = (n: string) => HOSTNAME.test(n.startsWith("*.") ? n.slice(2) : n);
const HOST_WITH_DOT = new RegExp(`${HOSTNAME.source.slice(0, -1)}\\.?$`);
const MULTIADDR = /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+(\/p2p\/\w+)?$/;

/** Largest TTL worth having: the thesis (§7.4) recommends at most about five minutes. */
const TTL_MAX_SECONDS = 3600;

export function validate(raw: Table, file: string, baseDir: string): Validated {
  const f = new Fields(file);
  f.known(raw, "", ["node", "site", "reporter", "controller", "nameserver", "director", "replicator", "notify", "metrics", "learn", "spread"]);

  const nodeT = f.table(raw, "", "node", true) ?? {};
  f.known(nodeT, "node", ["name", "state_dir", "listen", "bootstrap", "operator_keys", "grants_file"]);
  const node = {
    name: f.string(nodeT, "node", "name", { pattern: NAME, expected: NAME_EXPECTED }),
    stateDir: resolve(baseDir, f.string(nodeT, "node", "state_dir", { expected: "a directory path" })),
    listen: f.strings(nodeT, "node", "listen", {
      nonEmpty: true,
      each: multiaddrProblem,
      expected: 'a list of libp2p addresses such as "/ip4/0.0.0.0/tcp/7946"',
    }),
    bootstrap: f.strings(nodeT, "node", "bootstrap", { default: [], each: multiaddrProblem }),
    operatorKeys: f.strings(nodeT, "node", "operator_keys", { default: [], each: operatorKeyProblem }) as OperatorKeyText[],
    ...(nodeT.grants_file === undefined
      ? {}
      : {
          grantsFile: resolve(baseDir, f.string(nodeT, "node", "grants_file", { expected: "a path to this node's grants (the lines `walrus grant` printed)" })),
        }),
  };
  if (node.grantsFile && !node.operatorKeys.length)
    f.fail("node.grants_file", nodeT.grants_file, "no grants file without [node] operator_keys: grants are checked against those keys");

  const siteT = f.table(raw, "", "site", true) ?? {};
  const site = validateSite(f, siteT, baseDir);
  const areas = new Set(site.areas.map((a) => a.name as string));
  const locations = validateLocations(f, siteT, areas, baseDir);
  // A server registers itself on the strength of its reporter grant: an open site has none.
  for (const a of site.areas)
    if (a.selfRegister && !node.operatorKeys.length)
      f.fail(`site.areas.${a.name}.self_register`, true, "no self-registration without [node] operator_keys: a server registers itself by its reporter grant");

  const notifyT = f.table(raw, "", "notify", false) ?? {};
  // The shared part of [site]: what a site document carries (the paths stay each host's own).
  const { secret_file: _secret, dnssec_keys: _keys, ...siteTable } = siteT;
  const config: NodeConfig = {
    file,
    siteTable,
    node,
    site,
    locations,
    grants: [],
    notify: validateNotify(f, notifyT, site.deadAfterMs),
    learn: validateLearn(f, f.table(raw, "", "learn", false) ?? {}),
    spread: validateSpread(f, f.table(raw, "", "spread", false) ?? {}),
  };

  const rep = f.table(raw, "", "reporter", false);
  if (rep) config.reporter = validateReporter(f, rep, site, site.reportIntervalMs);

  const ctl = f.table(raw, "", "controller", false);
  if (ctl) {
    f.known(ctl, "controller", ["priority"]);
    config.controller = { priority: f.number(ctl, "controller", "priority", { default: 100, min: 0, max: 1_000_000, integer: true }) };
  }

  const ns = f.table(raw, "", "nameserver", false);
  if (ns) {
    f.known(ns, "nameserver", ["area", "listen", "update_allow", "notify", ...NAMESERVER_DNS_KEYS]);
    const area = f.string(ns, "nameserver", "area");
    if (area && !areas.has(area)) f.fail("nameserver.area", area, `one of the areas in [site.areas]: ${[...areas].join(", ")}`);
    const listen = f.strings(ns, "nameserver", "listen", {
      nonEmpty: true,
      each: (s) => (parseHostPort(s) ? undefined : 'an address and port such as "0.0.0.0:53" or "[::]:53"'),
    });
    config.nameserver = {
      area: areaName(area),
      listen: listen.map((s) => parseHostPort(s)).filter((x): x is HostPort => x !== undefined),
      ...nameserverDns(f, ns),
    };
    const updateAllow = validateUpdateAllow(f, ns, site.zone, baseDir);
    if (updateAllow) config.nameserver.updateAllow = updateAllow;
    const notify = f.strings(ns, "nameserver", "notify", {
      default: [],
      each: (s) => (parseHostPort(s) ? undefined : 'a secondary\'s address and port, such as "192.0.2.9:53"'),
    });
    if (notify.length > 0) config.nameserver.notify = notify.map((s) => parseHostPort(s) as HostPort);
  }

  const director = f.table(raw, "", "director", false);
  if (director) config.director = validateDirector(f, director, areas, baseDir);
  if (director && !ctl) f.fail("director", "(without [controller])", "a [controller] table too: only the master sends the Director's updates");

  const repl = f.table(raw, "", "replicator", false);
  if (repl) config.replicator = validateReplicator(f, repl, site.servers, baseDir);

  const metrics = f.table(raw, "", "metrics", false);
  if (metrics) {
    f.known(metrics, "metrics", ["listen"]);
    const expected = 'an address and port such as "127.0.0.1:9464" or "[::1]:9464"';
    const text = f.string(metrics, "metrics", "listen", { expected });
    const listen = parseHostPort(text);
    if (listen) config.metrics = { listen };
    else if (text) f.fail("metrics.listen", text, expected);
  }

  if (!rep && !ctl && !ns && !repl) f.fail("(roles)", "none", "at least one of the tables [reporter], [controller], [nameserver], [replicator]");
  return f.errors.length ? { ok: false, errors: f.errors } : { ok: true, config };
}

function validateSite(f: Fields, t: Table, baseDir: string): Site {
  const p = "site";
  f.known(t, p, [
    "zone",
    "names",
    "ttl_seconds",
    "load_threshold",
    "load_hysteresis",
    "balance_margin",
    "spill_step",
    "load_terms",
    "report_interval_ms",
    "round_interval_ms",
    "heartbeat_interval_ms",
    "dead_after_ms",
    "tempfail_reuse_ms",
    "candidate_dead_after_ms",
    "master_settle_ms",
    "cooldown_rounds",
    "max_staleness_ms",
    "content_grace_ms",
    "hostmaster",
    "secret_file",
    "dnssec_keys",
    "version",
    "areas",
    "servers",
    ...SITE_DNS_KEYS,
    ...LOCATION_KEYS,
  ]);
  const zone = f.string(t, p, "zone", { pattern: HOSTNAME, expected: 'a lower-case domain name without trailing dot, such as "example.com"' });
  const names = f
    .strings(t, p, "names", {
      nonEmpty: true,
      expected: 'a list of names inside the zone, a single label ("www") or absolute ("www.example.com"), or wildcards ("*.shop")',
      each: (s) =>
        isOwnerName(qualify(s, zone)) && inZone(qualify(s, zone), zone)
          ? undefined
          : `a name inside the zone ${zone}, or a wildcard such as "*.shop" (RFC 4592)`,
    })
    .map((s) => qualify(s, zone));
  const reportIntervalMs = f.number(t, p, "report_interval_ms", { default: 1000, min: 100, max: 600_000, integer: true, unit: "ms" });
  const heartbeatIntervalMs = f.number(t, p, "heartbeat_interval_ms", { default: 500, min: 50, max: 60_000, integer: true, unit: "ms" });
  const deadAfterMs = f.number(t, p, "dead_after_ms", {
    default: 5 * Math.max(reportIntervalMs, heartbeatIntervalMs),
    min: 2 * heartbeatIntervalMs,
    max: 3_600_000,
    integer: true,
    unit: "ms (at least twice heartbeat_interval_ms)",
  });
  const site: Site = {
    zone,
    names,
    ttlSeconds: f.number(t, p, "ttl_seconds", { default: 20, min: 0, max: TTL_MAX_SECONDS, integer: true, unit: "seconds" }),
    loadThreshold: f.number(t, p, "load_threshold", { default: 0.8, min: 0.01, max: 10 }),
    loadHysteresis: f.number(t, p, "load_hysteresis", { default: 0.1, min: 0, max: 10 }),
    balanceMargin: f.number(t, p, "balance_margin", { default: 0.2, min: 0, max: 10 }),
    spillStep: f.number(t, p, "spill_step", { default: 0.1, min: 0, max: 0.5 }),
    loadTerms: f.strings(t, p, "load_terms", {
      default: [...LOAD_TERMS],
      nonEmpty: true,
      each: (s) => ((LOAD_TERMS as readonly string[]).includes(s) ? undefined : `one of ${LOAD_TERMS.join(", ")}`),
    }) as LoadTerm[],
    reportIntervalMs,
    roundIntervalMs: f.number(t, p, "round_interval_ms", { default: 1000, min: 100, max: 600_000, integer: true, unit: "ms" }),
    heartbeatIntervalMs,
    deadAfterMs,
    tempfailReuseMs: f.number(t, p, "tempfail_reuse_ms", { default: deadAfterMs, min: 0, max: 3_600_000, integer: true, unit: "ms" }),
    candidateDeadAfterMs: f.number(t, p, "candidate_dead_after_ms", {
      default: 3 * heartbeatIntervalMs,
      min: 2 * heartbeatIntervalMs,
      max: 3_600_000,
      integer: true,
      unit: "ms (at least twice heartbeat_interval_ms)",
    }),
    masterSettleMs: f.number(t, p, "master_settle_ms", { default: heartbeatIntervalMs, min: 0, max: 600_000, integer: true, unit: "ms" }),
    cooldownRounds: f.number(t, p, "cooldown_rounds", { default: 3, min: 0, max: 10_000, integer: true, unit: "rounds" }),
    maxStalenessMs: f.number(t, p, "max_staleness_ms", { default: 30_000, min: 1000, max: 86_400_000, integer: true, unit: "ms" }),
    contentGraceMs: f.number(t, p, "content_grace_ms", { default: 30_000, min: 0, max: 86_400_000, integer: true, unit: "ms" }),
    hostmaster: f.string(t, p, "hostmaster", {
      default: `hostmaster.${zone}`,
      pattern: HOSTNAME,
      expected: "a domain name (the SOA contact, with @ written as a dot)",
    }),
    secretFile: resolve(baseDir, f.string(t, p, "secret_file", { expected: "a path to the site's shared secret (make one with `walrus keygen`)" })),
    version: f.number(t, p, "version", { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, unit: "(the site document's version)" }),
    areas: [],
    servers: [],
  };
  if (t.dnssec_keys !== undefined)
    site.dnssecKeys = resolve(
      baseDir,
      f.string(t, p, "dnssec_keys", { expected: "a directory of the zone's DNSSEC keys (make one with `walrus dnssec keygen`)" }),
    );
  Object.assign(site, siteDns(f, t, zone, names, site.ttlSeconds));

  const areasT = f.table(t, p, "areas", true) ?? {};
  for (const [name, v, ap] of namedTables(f, areasT, `${p}.areas`, "an area", ["nameserver", "nameserver_addresses", "self_register"])) {
    const area: AreaSpec = {
      name: areaName(name),
      nameserverHost: qualify(
        f.string(v, ap, "nameserver", {
          default: `ns-${name}`,
          pattern: HOST_WITH_DOT,
          expected: 'a host name: one label ("ns-east") inside the zone, or absolute',
        }),
        zone,
      ),
      nameserverAddresses: f.strings(v, ap, "nameserver_addresses", { nonEmpty: true, each: ipProblem }),
    };
    // Kept off the area unless set: the area's form (and an open site's digest) stay as before.
    if (f.boolean(v, ap, "self_register", { default: false })) area.selfRegister = true;
    site.areas.push(area);
  }
  if (site.areas.length === 0) f.fail(`${p}.areas`, areasT, "at least one area table, such as [site.areas.east]");

  const serversT = f.table(t, p, "servers", true) ?? {};
  const areaNames = new Set(site.areas.map((a) => a.name as string));
  for (const [name, v, sp] of namedTables(f, serversT, `${p}.servers`, "a server", ["area", "addresses"])) {
    const area = f.string(v, sp, "area");
    if (area && !areaNames.has(area)) f.fail(`${sp}.area`, area, `one of the areas ${[...areaNames].join(", ")}`);
    const server: ServerSpec = { name: serverName(name), area: areaName(area), addresses: f.strings(v, sp, "addresses", { nonEmpty: true, each: ipProblem }) };
    site.servers.push(server);
  }
  for (const a of site.areas) {
    if (!site.servers.some((s) => s.area === a.name))
      f.fail(`${p}.servers`, `(none in area ${a.name})`, `at least one server whose area is "${a.name}" (its home cluster)`);
  }
  return site;
}

/** The tables of a table keyed by name ([site.areas.east], ...): each name checked, each value a table of `keys` only. */
function namedTables(f: Fields, t: Table, path: string, what: string, keys: string[]): [string, Table, string][] {
  const out: [string, Table, string][] = [];
  for (const [name, v] of Object.entries(t)) {
    const at = join(path, name);
    if (!NAME.test(name)) f.fail(at, name, `${what} ${NAME_EXPECTED}`);
    if (!isTable(v)) f.fail(at, v, `a table with ${keys.join(" and ")}`);
    else {
      f.known(v, at, keys);
      out.push([name, v, at]);
    }
  }
  return out;
}

export function validateNotify(f: Fields, t: Table, deadAfterMs: number): NotifyConfig {
  const p = "notify";
  f.known(t, p, ["webhook", "webhooks", "command", "dead_for_ms", "stale_for_ms", "repeat_after_ms", "max_per_minute", "attempts"]);
  const url = { pattern: /^https?:\/\/\S+$/, expected: "an http:// or https:// URL" };
  const notify: NotifyConfig = {
    webhooks: [
      ...(t.webhook !== undefined ? [f.string(t, p, "webhook", url)] : []),
      ...f.strings(t, p, "webhooks", { default: [], each: (s) => (url.pattern.test(s) ? undefined : url.expected) }),
    ],
    deadForMs: f.number(t, p, "dead_for_ms", {
      default: Math.max(60_000, deadAfterMs),
      min: deadAfterMs,
      max: 86_400_000,
      integer: true,
      unit: "ms (at least site.dead_after_ms)",
    }),
    staleForMs: f.number(t, p, "stale_for_ms", { default: 300_000, min: 0, max: 86_400_000, integer: true, unit: "ms" }),
    repeatAfterMs: f.number(t, p, "repeat_after_ms", { default: 600_000, min: 0, max: 86_400_000, integer: true, unit: "ms" }),
    maxPerMinute: f.number(t, p, "max_per_minute", { default: 20, min: 1, max: 10_000, integer: true }),
    attempts: f.number(t, p, "attempts", { default: 4, min: 1, max: 20, integer: true }),
  };
  if (t.command !== undefined) notify.command = f.string(t, p, "command", { expected: "a command line" });
  return notify;
}

function multiaddrProblem(s: string): string | undefined {
  return MULTIADDR.test(s) ? undefined : 'a libp2p TCP address such as "/ip4/192.0.2.1/tcp/7946"';
}

function ipProblem(s: string): string | undefined {
  return isIP(s) ? undefined : "an IPv4 or IPv6 address";
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}
