#!/usr/bin/env bun
// The walrus command line: parse arguments, call into the node or the control socket, print.
import { randomBytes } from "node:crypto";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { runSimulation } from "./commands/simulate.ts";
import { hintFor } from "./commands/hints.ts";
import { formatStatus } from "./commands/status-format.ts";
import { formatErrors, loadConfig } from "./config/load.ts";
import type { NodeConfig } from "./config/types.ts";
import { controlRequest } from "./control/client.ts";
import { createLogger } from "./core/log.ts";
import { UDP_EDNS_LIMIT } from "./dns/answer.ts";
import { oversizedClusters } from "./dns/fit.ts";
import { runDnsWorker } from "./dns/workers.ts";
import { startNode } from "./node.ts";
import pkg from "../package.json" with { type: "json" };

const DEFAULT_CONFIG = process.env.WALRUS_CONFIG ?? "/etc/walrus/node.toml";
/** Exit codes: 1 runtime failure, 2 bad configuration or usage. */
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;

function configOrExit(path: string): NodeConfig {
  const loaded = loadConfig(path);
  if (!loaded.ok) {
    process.stderr.write(`${formatErrors(loaded.errors)}\n${loaded.errors.length} error(s) in the configuration; see config.example.toml for every key.\n`);
    process.exit(EXIT_CONFIG);
  }
  return loaded.config;
}

function fail(message: string): never {
  const hint = hintFor(message);
  process.stderr.write(`walrus: ${message}\n${hint ? `next: ${hint}\n` : ""}`);
  process.exit(EXIT_FAILURE);
}

const configOption = { alias: "c", type: "string", default: DEFAULT_CONFIG, describe: "node config file (TOML); env WALRUS_CONFIG" } as const;

async function runNode(path: string): Promise<void> {
  const config = configOrExit(path);
  const log = createLogger();
  // libp2p can reject a stream promise while it tears down (AbortError): log it and keep serving.
  process.on("unhandledRejection", (err) => log.warn("unhandled rejection", { error: String(err) }));
  process.on("uncaughtException", (err) => log.error("uncaught exception", { error: String(err) }));
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
    const force = setTimeout(() => process.exit(0), 3000);
    await node.stop();
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
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
  .command("dns-worker", false, (y) => y, () => runDnsWorker())
  .command(
    "status",
    "show members, the master, where each area points and why, and each server's state",
    (y) => y.option("config", configOption).option("json", { type: "boolean", default: false, describe: "print the status as JSON" }),
    async (a) => {
      const config = configOrExit(a.config);
      const reply = await controlRequest(config.node.stateDir, { op: "status" }).catch((e: Error) => fail(e.message));
      if (!reply.ok || !reply.status) fail(reply.ok ? "empty status" : reply.error);
      process.stdout.write(`${a.json ? JSON.stringify(reply.status, null, 2) : formatStatus(reply.status)}\n`);
    },
  )
  .command(
    "drain <server>",
    "take a server out of every answer (a forced BYPASS kept beside its measured state)",
    (y) =>
      y
        .positional("server", { type: "string", demandOption: true, describe: "server name from [site.servers]" })
        .option("reason", { type: "string", default: "drained by operator", describe: "shown in status and logs" })
        .option("config", configOption),
    (a) => drain(a.config, a.server, true, a.reason),
  )
  .command(
    "undrain <server>",
    "put a drained server back into consideration",
    (y) => y.positional("server", { type: "string", demandOption: true, describe: "server name from [site.servers]" }).option("config", configOption),
    (a) => drain(a.config, a.server, false, ""),
  )
  .command("config", "configuration tools", (y) =>
    y
      .command(
        "check",
        "validate a node config and report every error with its key",
        (z) => z.option("config", configOption),
        (a) => {
          const c = configOrExit(a.config);
          const roles = [c.reporter && "reporter", c.controller && "controller", c.nameserver && "nameserver"].filter(Boolean).join(", ");
          process.stdout.write(`${c.file}: OK (node ${c.node.name}; roles ${roles}; ${c.site.areas.length} areas, ${c.site.servers.length} servers)\n`);
          const udpSize = c.nameserver?.udpSize ?? UDP_EDNS_LIMIT;
          for (const o of oversizedClusters(c.site, udpSize)) {
            process.stdout.write(`warning: cluster ${o.cluster}: ${o.addresses} ${o.type} records make a ${o.bytes}-byte answer, over the ${udpSize}-byte UDP size: resolvers must retry over TCP; lower [site] max_answer_addresses\n`);
          }
        },
      )
      .demandCommand(1, "say which config tool: check"),
  )
  .command(
    "simulate",
    "try the site of a config on paper: the real decision logic over a simulated network, with faults",
    (y) =>
      y
        .option("config", configOption)
        .option("seed", { type: "number", default: 1, describe: "seed of the run; the same seed replays it" })
        .option("rounds", { type: "number", default: 300, describe: "rounds to simulate" })
        .option("faults", { type: "boolean", default: true, describe: "inject crashes, partitions, failures, drains, demand changes, lossy links (--no-faults for a calm site)" })
        .option("demand", { type: "string", describe: "demand per area as a share of its home capacity, e.g. east=0.9,west=0.3 (default 0.5 each)" }),
    (a) => {
      const c = configOrExit(a.config);
      process.exitCode = runSimulation(c.site, { seed: a.seed, rounds: a.rounds, faults: a.faults, demand: a.demand }, (line) => process.stdout.write(`${line}\n`));
    },
  )
  .command(
    "keygen",
    "print a new random site secret (store it in the file named by site.secret_file on every node)",
    () => {},
    () => void process.stdout.write(`${randomBytes(32).toString("hex")}\n`),
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
