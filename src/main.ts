#!/usr/bin/env bun
// The walrus command line: parse arguments, call into the node or the control socket, print.
// The node's modules (libp2p, the DNS server, metrics) load only for the commands that run
// them: evaluating them is most of the binary's start, which `status` and `drain` need not pay.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { hintFor } from "./commands/hints.ts";
import { formatLearnedMap } from "./commands/locations-format.ts";
import { formatStatus } from "./commands/status-format.ts";
import { formatErrors, loadConfig } from "./config/load.ts";
import type { NodeConfig } from "./config/types.ts";
import type { StatusReport } from "./ops/status.ts";
import { controlRequest } from "./control/client.ts";
import type { SiteShown } from "./control/protocol.ts";
import { createLogger } from "./core/log.ts";
import pkg from "../package.json" with { type: "json" };

const DEFAULT_CONFIG = process.env.WALRUS_CONFIG ?? "/etc/walrus/node.toml";
/** Exit codes: 1 runtime failure, 2 bad configuration or usage. */
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;
/** SIGTERM to exit, at most: peers see the connections close either way. */
const STOP_DEADLINE_MS = 250;

function configOrExit(path: string, o?: { readGrants?: boolean }): NodeConfig {
  const loaded = loadConfig(path, o);
  if (!loaded.ok) {
    process.stderr.write(`${formatErrors(loaded.errors)}\n${loaded.errors.length} error(s) in the configuration; see config.example.toml for every key.\n`);
    process.exit(EXIT_CONFIG);
  }
  return loaded.config;
}

function tryOr<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    fail((err as Error).message);
  }
}

function fail(message: string): never {
  const hint = hintFor(message);
  process.stderr.write(`walrus: ${message}\n${hint ? `next: ${hint}\n` : ""}`);
  process.exit(EXIT_FAILURE);
}

const configOption = { alias: "c", type: "string", default: DEFAULT_CONFIG, describe: "node config file (TOML); env WALRUS_CONFIG" } as const;
/** A command whose only option is --config: the builder, and its handler given the loaded config. */
const onlyConfig = (y: Argv) => y.option("config", configOption);
const withConfig = (run: (config: NodeConfig) => Promise<void> | void) => (a: { config: string }) => run(configOrExit(a.config));
const operatorKeyOption = { type: "string", demandOption: true, describe: "the operator's private key file" } as const;

async function runNode(path: string): Promise<void> {
  const config = configOrExit(path);
  const log = createLogger();
  // libp2p can reject a stream promise while it tears down (AbortError): log it and keep serving.
  process.on("unhandledRejection", (err) => log.warn("unhandled rejection", { error: String(err) }));
  process.on("uncaughtException", (err) => log.error("uncaught exception", { error: String(err) }));
  const { startNode } = await import("./node.ts");
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode(config, log);
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    // What operators rely on is already on disk (state is written when it changes); the rest is
    // libp2p closing connections politely, which waits for peers a partition may have cut off.
    const force = setTimeout(() => process.exit(0), STOP_DEADLINE_MS);
    await node.stop();
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // SIGHUP: read the node file again; apply what can change while running, name what cannot.
  process.on("SIGHUP", () => {
    const loaded = loadConfig(path);
    if (!loaded.ok) return void log.error("SIGHUP: the node file has errors; nothing changed", { errors: formatErrors(loaded.errors) });
    const r = node.reload(loaded.config);
    log.info("SIGHUP: node file read again", { applied: r.applied.join(", ") || "nothing", needsRestart: r.needsRestart.join(", ") || "nothing" });
  });
}

/** The site document the node runs, through its control socket; exits with the reason when there is none. */
async function siteInForce(config: NodeConfig): Promise<SiteShown> {
  const reply = await controlRequest(config.node.stateDir, { op: "site-show" }).catch((e: Error) => fail(e.message));
  if (!reply.ok || !reply.site) fail(reply.ok ? "the node did not say which site document it runs" : reply.error);
  return reply.site;
}

/** The node's status report, through its control socket; exits with the reason when there is none. */
async function nodeStatus(config: NodeConfig, history = false): Promise<StatusReport> {
  const reply = await controlRequest(config.node.stateDir, { op: "status", ...(history ? { history } : {}) }).catch((e: Error) => fail(e.message));
  if (!reply.ok || !reply.status) fail(reply.ok ? "empty status" : reply.error);
  return reply.status;
}

async function drain(path: string, server: string, drained: boolean, reason: string): Promise<void> {
  const config = configOrExit(path);
  const reply = await controlRequest(config.node.stateDir, { op: "drain", server, drained, reason }).catch((e: Error) => fail(e.message));
  if (!reply.ok) fail(reply.error);
  process.stdout.write(`${server} ${drained ? "drained" : "undrained"}; every node applies it within one round (see \`walrus status\`)\n`);
}

await yargs(hideBin(process.argv))
  .scriptName("walrus")
  .usage("$0 <command> [options]\n\nSteers web users to the best replica of a site using DNS alone (the Walrus design).")
  .command(
    "node",
    "run this host's roles (reporter, controller, nameserver) as configured",
    (y) => y.option("config", configOption),
    (a) => runNode(a.config),
  )
  // Started by a nameserver with [nameserver] workers ≥ 1, never by hand: hidden from --help.
  .command(
    "dns-worker",
    false,
    (y) => y,
    async () => (await import("./dns/workers.ts")).runDnsWorker(),
  )
  // Started by a nameserver that learns where resolvers are, never by hand: hidden from --help.
  .command(
    "rtt-prober",
    false,
    (y) => y,
    async () => (await import("./geo/prober-process.ts")).runProber(),
  )
  .command(
    "status",
    "show members, the master, where each area points and why, each server's state, and how the requests are shared",
    (y) =>
      y.option("config", configOption).option("json", { type: "boolean", default: false, describe: "print the status as JSON" }).option("history", {
        type: "boolean",
        default: false,
        describe: "with --json: include the node's recent history (each server's load, state and requests/s; each area's cluster and queries)",
      }),
    async (a) => {
      const config = configOrExit(a.config);
      const status = await nodeStatus(config, a.history);
      process.stdout.write(`${a.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
    },
  )
  .command(
    "locations",
    "print the location map the nameservers learned, as location_map_file lines (to pin it: save and name the file in [site])",
    onlyConfig,
    withConfig(async (config) => {
      const learned = (await nodeStatus(config)).locations?.learned;
      if (!learned) fail("this node learns no locations: it is not a nameserver, or [learn] enabled = false");
      process.stdout.write(formatLearnedMap(learned, config.node.name));
    }),
  )
  .command(
    "drain <server>",
    "take a server out of every answer (a forced BYPASS kept beside its measured state)",
    (y) =>
      y
        .positional("server", { type: "string", demandOption: true, describe: "server name from [site.servers], or one that registered itself" })
        .option("reason", { type: "string", default: "drained by operator", describe: "shown in status and logs" })
        .option("config", configOption),
    (a) => drain(a.config, a.server, true, a.reason),
  )
  .command(
    "undrain <server>",
    "put a drained server back into consideration",
    (y) =>
      y
        .positional("server", { type: "string", demandOption: true, describe: "server name from [site.servers], or one that registered itself" })
        .option("config", configOption),
    (a) => drain(a.config, a.server, false, ""),
  )
  .command("config", "configuration tools", (y) =>
    y
      .command(
        "check",
        "validate a node config and report every error with its key",
        onlyConfig,
        withConfig(async (c) => {
          const [{ UDP_EDNS_LIMIT }, { oversizedClusters }] = await Promise.all([import("./dns/limits.ts"), import("./dns/fit.ts")]);
          const roles = [c.reporter && "reporter", c.controller && "controller", c.nameserver && "nameserver", c.replicator && "replicator"]
            .filter(Boolean)
            .join(", ");
          process.stdout.write(`${c.file}: OK (node ${c.node.name}; roles ${roles}; ${c.site.areas.length} areas, ${c.site.servers.length} servers)\n`);
          const udpSize = c.nameserver?.udpSize ?? UDP_EDNS_LIMIT;
          for (const o of oversizedClusters(c.site, udpSize)) {
            process.stdout.write(
              `warning: cluster ${o.cluster}: ${o.addresses} ${o.type} records make a ${o.bytes}-byte answer, over the ${udpSize}-byte UDP size: resolvers must retry over TCP; lower [site] max_answer_addresses\n`,
            );
          }
        }),
      )
      .demandCommand(1, "say which config tool: check"),
  )
  .command("dnssec", "the zone's DNSSEC keys ([site] dnssec_keys) and their rollover", (y) => {
    const run = async (config: string, f: (m: typeof import("./commands/dnssec.ts"), site: NodeConfig["site"], now: number) => string[]) => {
      const m = await import("./commands/dnssec.ts");
      const site = configOrExit(config).site;
      for (const line of tryOr(() => f(m, site, Math.floor(Date.now() / 1000)))) process.stdout.write(`${line}\n`);
    };
    const tagged = (z: Argv) =>
      z.positional("tag", { type: "number", demandOption: true, describe: "the key's tag" }).option("config", configOption).option("force", {
        type: "boolean",
        default: false,
        describe: "skip the RFC 7583 waiting check",
      });
    return y
      .command(
        "keygen",
        "make the zone's signing key (ECDSA P-256, 0600) in the key directory; with --next, the successor for a rollover",
        (z) => z.option("config", configOption).option("next", { type: "boolean", default: false, describe: "publish a successor without signing with it" }),
        (a) => run(a.config, (m, site, now) => m.dnssecKeygen({ site, now, next: a.next })),
      )
      .command(
        "ds",
        "print the DS records for the parent zone (states on stderr)",
        (z) => z.option("config", configOption),
        (a) =>
          run(a.config, (m, site, now) => {
            const { ds, states } = m.dnssecDs({ site, now });
            process.stderr.write(`${states.join("\n")}\n`);
            return ds;
          }),
      )
      .command("activate <tag>", "rollover: sign with this published key from now on (the old one keeps signing the DNSKEY RRset)", tagged, (a) =>
        run(a.config, (m, site, now) => m.dnssecActivate({ site, now, tag: Number(a.tag), force: a.force })),
      )
      .command("retire <tag>", "rollover: take the old key out of the zone once the parent's DS is swapped", tagged, (a) =>
        run(a.config, (m, site, now) => m.dnssecRetire({ site, now, tag: Number(a.tag), force: a.force })),
      )
      .demandCommand(1, "say which dnssec tool: keygen, ds, activate, retire");
  })
  .command(
    "simulate",
    "try the site of a config on paper: the real decision logic over a simulated network, with faults",
    (y) =>
      y
        .option("config", configOption)
        .option("seed", { type: "number", default: 1, describe: "seed of the run; the same seed replays it" })
        .option("rounds", { type: "number", default: 300, describe: "rounds to simulate" })
        .option("faults", {
          type: "boolean",
          default: true,
          describe: "inject crashes, partitions, failures, drains, demand changes, lossy links (--no-faults for a calm site)",
        })
        .option("demand", { type: "string", describe: "demand per area as a share of its home capacity, e.g. east=0.9,west=0.3 (default 0.5 each)" })
        .option("demand-step", {
          type: "string",
          describe:
            "a demand step, e.g. 40:east=2 (at round 40 east's demand becomes twice its capacity); ends with graded shedding compared to all-or-nothing on the same seed",
        }),
    async (a) => {
      const c = configOrExit(a.config);
      const { runSimulation } = await import("./commands/simulate.ts");
      process.exitCode = runSimulation(c.site, { seed: a.seed, rounds: a.rounds, faults: a.faults, demand: a.demand, demandStep: a.demandStep }, (line) =>
        process.stdout.write(`${line}\n`),
      );
    },
  )
  .command(
    "publish <dir>",
    "make a release of a document tree and push it to every web server with rsync over ssh ([replicator] host)",
    (y) =>
      y
        .positional("dir", { type: "string", demandOption: true, describe: "the site's document tree" })
        .option("message", { alias: "m", type: "string", default: "", describe: "shown with the release" })
        .option("config", configOption),
    async (a) => {
      const { runPublish } = await import("./commands/replicate.ts");
      // Absolute: the node's resync copies from this tree later, from its own working directory.
      process.exitCode = await runPublish(configOrExit(a.config), resolve(a.dir), a.message, (l) => process.stdout.write(`${l}\n`));
    },
  )
  .command(
    "rollback",
    "point every web server back at a kept release (default: the one before the current)",
    (y) => y.option("to", { type: "string", describe: "release id (or its first 4+ digits)" }).option("config", configOption),
    async (a) => {
      const { runRollback } = await import("./commands/replicate.ts");
      process.exitCode = await runRollback(configOrExit(a.config), a.to, (l) => process.stdout.write(`${l}\n`));
    },
  )
  .command(
    "releases",
    "list the kept releases, the current one starred ([replicator] host)",
    onlyConfig,
    withConfig(async (config) => {
      const { runReleases } = await import("./commands/replicate.ts");
      process.exitCode = runReleases(config, (l) => process.stdout.write(`${l}\n`));
    }),
  )
  .command(
    "keygen",
    "print a new random site secret (store it in the file named by site.secret_file on every node); with --operator, make the operator key",
    (y) =>
      y
        .option("operator", {
          type: "boolean",
          default: false,
          describe: "make an Ed25519 operator key (kept off the site's hosts) and print its public key for [node] operator_keys",
        })
        .option("out", { type: "string", default: "operator.key", describe: "with --operator: where to write the private key (0600; never overwritten)" }),
    async (a) => {
      if (!a.operator) return void process.stdout.write(`${randomBytes(32).toString("hex")}\n`);
      const { makeOperatorKey } = await import("./commands/authority.ts");
      const pub = tryOr(() => makeOperatorKey(a.out));
      process.stderr.write(`operator key written to ${a.out}: keep it off the site's hosts. Put the public key in every node's [node] operator_keys:\n`);
      process.stdout.write(`${pub}\n`);
    },
  )
  .command(
    "id",
    "print this node's peer id (making its identity key on first use), for `walrus grant --peer`",
    (y) => y.option("config", configOption),
    async (a) => {
      const config = configOrExit(a.config, { readGrants: false });
      const [{ peerIdOfKey }, { loadOrCreateIdentity }, { StateDir }] = await Promise.all([
        import("./net/peer-keys.ts"),
        import("./state/identity.ts"),
        import("./state/store.ts"),
      ]);
      process.stdout.write(`${peerIdOfKey(loadOrCreateIdentity(new StateDir(config.node.stateDir)))}\n`);
    },
  )
  .command(
    "grant",
    "sign a grant: what one node (by peer id) may do; prints one JSON line for the node's [node] grants_file",
    (y) =>
      y
        .option("key", operatorKeyOption)
        .option("peer", { type: "string", demandOption: true, describe: "the node's peer id (walrus id on that node)" })
        .option("node", { type: "string", demandOption: true, describe: "the node's name, for people reading status" })
        .option("controller", { type: "number", describe: "may stand as controller candidate at this priority" })
        .option("nameserver", { type: "string", array: true, default: [], describe: "may be the nameserver of this area (repeatable)" })
        .option("reporter", { type: "string", array: true, default: [], describe: "may report for this server (repeatable)" })
        .option("replicator", { type: "boolean", default: false, describe: "may publish releases" })
        .option("drain", { type: "boolean", default: false, describe: "may drain and undrain servers" })
        .option("days", { type: "number", default: 365, describe: "valid for this many days" }),
    async (a) => {
      const { issueGrant } = await import("./commands/authority.ts");
      const g = tryOr(() => issueGrant({ ...a, nameserver: a.nameserver.map(String), reporter: a.reporter.map(String) }, Date.now()));
      process.stderr.write(`${g.summary}\n`);
      process.stdout.write(`${g.line}\n`);
    },
  )
  .command(
    "revoke",
    "withdraw a grant at once: signs a revocation and hands it to the local node, which tells every node",
    (y) =>
      y
        .option("key", operatorKeyOption)
        .option("grant", { type: "string", demandOption: true, describe: "the grant's id (from walrus grant or walrus status)" })
        .option("reason", { type: "string", default: "revoked by the operator", describe: "shown in logs" })
        .option("config", configOption),
    async (a) => {
      const config = configOrExit(a.config);
      const { issueRevocation } = await import("./commands/authority.ts");
      const revocation = tryOr(() => issueRevocation(a.key, a.grant, a.reason, Date.now()));
      const reply = await controlRequest(config.node.stateDir, { op: "revoke", revocation }).catch((e: Error) => fail(e.message));
      if (!reply.ok) fail(reply.error);
      process.stdout.write(`grant ${a.grant} revoked; every node refuses it from now on (see \`walrus status\`)\n`);
    },
  )
  .command("site", "the site document every node shares: push a new version, show the one in force, diff a file against it", (y) =>
    y
      .command(
        "push <file>",
        "sign FILE's [site] as the next version and hand it to the local node, which gossips it; every node adopts it without restarting",
        (z) =>
          z
            .positional("file", { type: "string", demandOption: true, describe: "a TOML file with the whole [site] table" })
            .option("key", operatorKeyOption)
            .option("config", configOption),
        async (a) => {
          const config = configOrExit(a.config);
          const { formatSite, signSiteFile } = await import("./commands/site-document.ts");
          const running = await siteInForce(config);
          const document = tryOr(() => signSiteFile(a.file, a.key, config, running));
          const reply = await controlRequest(config.node.stateDir, { op: "site-push", document }).catch((e: Error) => fail(e.message));
          if (!reply.ok) fail(reply.error);
          process.stderr.write(formatSite({ ...document, key: document.key }).split("\n")[0] + "\n");
          process.stdout.write(`site document version ${document.version} pushed; every node adopts it within a round (see \`walrus site show\`)\n`);
        },
      )
      .command(
        "show",
        "print the site document in force on the local node (TOML), with its version and signer",
        (z) => z.option("config", configOption),
        async (a) => {
          const { formatSite } = await import("./commands/site-document.ts");
          process.stdout.write(formatSite(await siteInForce(configOrExit(a.config))));
        },
      )
      .command(
        "diff <file>",
        "what FILE's [site] would change against the document in force: one line per value, - gone, + new",
        (z) => z.positional("file", { type: "string", demandOption: true }).option("config", configOption),
        async (a) => {
          const { readSiteTable, siteDiff } = await import("./commands/site-document.ts");
          const running = await siteInForce(configOrExit(a.config));
          const table = tryOr(() => readSiteTable(a.file));
          const lines = siteDiff({ ...running.site, version: undefined }, { ...table, version: undefined });
          process.stdout.write(lines.length ? `${lines.join("\n")}\n` : `no change against version ${running.version}\n`);
        },
      )
      .demandCommand(1, "say which: walrus site push FILE, walrus site show, walrus site diff FILE"),
  )
  .command(
    "version",
    "print the version",
    () => {},
    () => void process.stdout.write(`walrus ${pkg.version}\n`),
  )
  .demandCommand(1, "say which command to run; see walrus --help")
  .strict()
  .help()
  .alias("h", "help")
  .version(pkg.version)
  .wrap(100)
  .fail((msg, err) => {
    if (err) fail(err.message);
    process.stderr.write(`walrus: ${msg}\nRun \`walrus --help\` for the commands and options.\n`);
    process.exit(EXIT_CONFIG);
  })
  .parseAsync();
