// A replicated site in network namespaces: a primary host with the walrus binary and the
// [replicator] config, and web hosts each running a real sshd (own host key, the primary's key
// authorised) and a real nginx serving <root>/current. Every web host sees its own directory at
// the same <root> path (a bind mount in a mount namespace of its own), as separate machines
// would. One host can get a small tmpfs there instead, to run out of space. Needs root.
import type { Subprocess } from "bun";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProc, until, WALRUS, type Proc } from "./demo-site.ts";
import { createLab, type Lab, type RunResult } from "./netns.ts";

export interface ReplicaLab {
  lab: Lab;
  dir: string;
  /** The path every web host keeps releases under. */
  root: string;
  webs: string[];
  /** Config of the primary: [replicator] with the given attempts. */
  config(attempts?: number): string;
  /** Runs `walrus ARGS --config …` on the primary. */
  walrus(args: string[], attempts?: number): Promise<RunResult>;
  /** Starts `walrus ARGS` on the primary without waiting (to kill or race it). */
  startWalrus(args: string[], attempts?: number): Subprocess<"ignore", "pipe", "pipe">;
  /** A document fetched over HTTP from a web host, asked from the primary. */
  get(web: string, path: string): Promise<string>;
  /** What `current` points to on a web host. */
  current(web: string): Promise<string>;
  /** Runs a shell command inside a web host's own file system view. */
  sh(web: string, script: string): Promise<RunResult>;
  /**
   * Starts `walrus node`: on the primary the replicator with a controller and east's nameserver
   * (DNS on port 5300, resync every second, a grace of `graceMs` after a publish); on a web host
   * a reporter (a TCP probe of nginx, the release read from <root>/current) in its own file
   * system view. `nodeConfig` writes the config without starting it.
   */
  startNode(host: string, graceMs: number): Proc;
  nodeConfig(host: string, graceMs: number): string;
  stop(): Promise<void>;
}

export interface ReplicaLabOptions {
  prefix: string;
  subnet: string;
  webs: number;
  /** A web host whose release directory is a tmpfs of this many MiB. */
  smallDisk?: { web: number; mib: number };
}

const SSHD = "/usr/sbin/sshd";

export async function startReplicaLab(o: ReplicaLabOptions): Promise<ReplicaLab> {
  /** SIGTERM, not the lab's SIGKILL: nginx then stops its workers, which would outlive it holding our pipes. */
  async function stopNginx(): Promise<void> {
    for (const p of nginxes) p.kill("SIGTERM");
    await Promise.all(nginxes.map((p) => Promise.race([p.exited, Bun.sleep(5000)])));
  }
  const dir = mkdtempSync(join(tmpdir(), `walrus-${o.prefix}-`));
  chmodSync(dir, 0o755); // nginx workers (nobody) walk through it to the served files
  const root = join(dir, "site");
  mkdirSync(root);
  const webs = Array.from({ length: o.webs }, (_, i) => `web${i + 1}`);
  const lab = await createLab({ prefix: o.prefix, subnet: o.subnet, hosts: ["primary", ...webs] });
  const mounts = new Map<string, number>();
  const nginxes: Subprocess[] = [];
  try {
    const keygen = (file: string) => {
      const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "walrus-test", "-f", file]);
      if (r.exitCode !== 0) throw new Error(`ssh-keygen: ${r.stderr.toString()}`);
      return readFileSync(`${file}.pub`, "utf8").trim();
    };
    const clientKey = keygen(join(dir, "id_ed25519"));
    const hostKey = keygen(join(dir, "host_ed25519"));
    writeFileSync(join(dir, "authorized_keys"), `${clientKey}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "known_hosts"), `${o.subnet}.* ${hostKey.split(" ").slice(0, 2).join(" ")}\n`);
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation directory

    await Promise.all(
      webs.map(async (web, i) => {
        const hd = join(dir, web);
        mkdirSync(join(hd, "files"), { recursive: true });
        mkdirSync(join(hd, "run"));
        chmodSync(hd, 0o755);
        chmodSync(join(hd, "files"), 0o755);
        const ip = lab.address(web);
        writeFileSync(
          join(hd, "sshd_config"),
          [
            `ListenAddress ${ip}`,
            "Port 22",
            `HostKey ${dir}/host_ed25519`,
            `PidFile ${hd}/run/sshd.pid`,
            `AuthorizedKeysFile ${dir}/authorized_keys`,
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "LogLevel ERROR",
            "",
          ].join("\n"),
        );
        writeFileSync(
          join(hd, "nginx.conf"),
          `worker_processes 1;
pid ${hd}/run/nginx.pid;
user nobody nogroup;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${hd}/run/body;
  proxy_temp_path ${hd}/run/proxy;
  fastcgi_temp_path ${hd}/run/fastcgi;
  uwsgi_temp_path ${hd}/run/uwsgi;
  scgi_temp_path ${hd}/run/scgi;
  server { listen ${ip}:80; root ${root}/current; }
}
`,
        );
        const small = o.smallDisk && o.smallDisk.web === i + 1 ? o.smallDisk.mib : undefined;
        const mount = small ? `mount -t tmpfs -o size=${small}m,mode=755 tmpfs ${root}` : `mount --bind ${hd}/files ${root}`;
        // unshare and sh exec in place: the process is sshd, in the mount namespace holding <root>.
        // Root's ~/.bashrc on a developer's machine can take half a second per ssh session (bash
        // reads it for every command run by sshd); web hosts' sessions get an empty one.
        const quiet = existsSync("/root/.bashrc") ? " && mount --bind /dev/null /root/.bashrc" : "";
        const sshd = lab.start(web, ["unshare", "-m", "--propagation", "private", "sh", "-c", `${mount}${quiet} && exec ${SSHD} -D -e -f ${hd}/sshd_config`]);
        mounts.set(web, sshd.pid);
        await until(`sshd on ${web}`, async () => (await lab.run("primary", ["bash", "-c", `exec 3<>/dev/tcp/${ip}/22`])).code === 0, 15_000, 100).catch(
          async (err) => {
            throw new Error(`${(err as Error).message}; sshd said: ${await new Response(sshd.stderr).text()}`);
          },
        );
        const nginx = lab.start(web, [
          "nsenter",
          `--mount=/proc/${sshd.pid}/ns/mnt`,
          "/usr/sbin/nginx",
          "-p",
          hd,
          "-c",
          `${hd}/nginx.conf`,
          "-e",
          `${hd}/run/error.log`,
          "-g",
          "daemon off;",
        ]);
        nginxes.push(nginx);
        await until(`nginx on ${web}`, async () => (await lab.run("primary", ["curl", "-s", "-o", "/dev/null", `http://${ip}/`])).code === 0, 15_000, 100);
      }),
    );
  } catch (err) {
    await stopNginx();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  writeFileSync(join(dir, "site.secret"), "replica-lab-secret-0123456789\n");
  const siteToml = (extra: string) => `[site]
zone = "repl.test"
names = ["www"]
secret_file = "${dir}/site.secret"
${extra}
[site.areas.east]
nameserver_addresses = ["${lab.address("primary")}"]
${webs.map((w) => `[site.servers.${w}]\narea = "east"\naddresses = ["${lab.address(w)}"]\n`).join("")}`;
  const replicatorToml = (attempts: number, extra = "") => `[replicator]
root = "${root}"
user = "root"
identity_file = "${dir}/id_ed25519"
known_hosts_file = "${dir}/known_hosts"
keep_releases = 3
timeout_ms = 120000
attempts = ${attempts}
${extra}`;

  const configs = new Map<number, string>();
  const config = (attempts = 1) => {
    const known = configs.get(attempts);
    if (known) return known;
    const file = join(dir, `primary-${attempts}.toml`);
    writeFileSync(
      file,
      `[node]\nname = "primary"\nstate_dir = "${dir}/primary-state"\nlisten = ["/ip4/127.0.0.1/tcp/0"]\n\n${siteToml("")}\n${replicatorToml(attempts)}`,
    );
    configs.set(attempts, file);
    return file;
  };

  const nodeConfig = (host: string, graceMs: number) => {
    const file = join(dir, `node-${host}.toml`);
    const primary = lab.address("primary");
    const ip = lab.address(host);
    const node = `[node]\nname = "${host}"\nstate_dir = "${dir}/node-${host}"\nlisten = ["/ip4/${ip}/tcp/7801"]\n`;
    const roles =
      host === "primary"
        ? `[controller]\npriority = 1\n[nameserver]\narea = "east"\nlisten = ["${primary}:5300"]\n${replicatorToml(1, "resync_ms = 1000\n")}`
        : `bootstrap = ["/ip4/${primary}/tcp/7801"]\n[reporter]\nserver = "${host}"\nsource = "tcp"\naddress = "${ip}:80"\nrelease_root = "${root}"\n`;
    const timers = `ttl_seconds = 1\nreport_interval_ms = 500\nround_interval_ms = 500\nheartbeat_interval_ms = 250\ncontent_grace_ms = ${graceMs}`;
    writeFileSync(file, `${node}${roles}\n${siteToml(timers)}`);
    return file;
  };

  const sh = (web: string, script: string) => lab.run(web, ["nsenter", `--mount=/proc/${mounts.get(web)}/ns/mnt`, "sh", "-c", script], { timeoutMs: 20_000 });
  return {
    lab,
    dir,
    root,
    webs,
    config,
    walrus: (args, attempts) => lab.run("primary", [WALRUS, ...args, "--config", config(attempts)], { timeoutMs: 120_000 }),
    startWalrus: (args, attempts) => lab.start("primary", [WALRUS, ...args, "--config", config(attempts)]),
    async get(web, path) {
      const r = await lab.run("primary", ["curl", "-sS", "--max-time", "5", "-f", `http://${lab.address(web)}${path}`]);
      if (r.code !== 0) throw new Error(`GET ${path} from ${web}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async current(web) {
      return (await sh(web, `readlink ${root}/current || true`)).stdout.trim();
    },
    sh,
    nodeConfig,
    startNode(host, graceMs) {
      const file = nodeConfig(host, graceMs);
      const inHost = host === "primary" ? [] : ["nsenter", `--mount=/proc/${mounts.get(host)}/ns/mnt`];
      return startProc(host, ["ip", "netns", "exec", lab.ns(host), ...inHost, WALRUS, "node", "--config", file]);
    },
    async stop() {
      await stopNginx();
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
