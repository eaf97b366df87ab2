// Debian's apache2 and nginx as real processes for tests and benchmarks: each in its own
// directory with its own config, pid, lock and log files, on a loopback address and port.
//   Apache: event MPM, mod_status with ExtendedStatus, /slow proxied to a backend, and
//           /broken-status serving a cut-off ?auto page from a file.
//   nginx:  stub_status at /nginx_status, /slow proxied, /broken_status a cut-off page.
// As root both drop their workers to an unprivileged user, as Debian's own configs do.

import type { Subprocess } from "bun";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WebServerInit {
  host: string;
  port: number;
  /** Where /slow is proxied to, e.g. "http://127.0.9.2:49122". */
  backend?: string;
}

export interface WebServer {
  readonly kind: "apache" | "nginx";
  readonly base: string;
  /** The machine-readable status page. */
  readonly statusUrl: string;
  /** A status page cut off mid-line, served by the real server. */
  readonly brokenStatusUrl: string;
  /** Stops the server and waits until its process has exited. */
  stop(): Promise<void>;
  /** Starts it again with the same config; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  remove(): Promise<void>;
}

/** Apache worker slots: ServerLimit 1 × ThreadsPerChild, so the Scoreboard has exactly this many. */
export const APACHE_WORKERS = 16;
const APACHE_MODULES = "/usr/lib/apache2/modules";
const START_TIMEOUT_MS = 15_000;
const isRoot = process.getuid?.() === 0;

const BROKEN_AUTO = "Total Accesses: 12\nBusyWorkers: 3\nIdleWorkers: 13\nScoreboard: WWW____";
const BROKEN_STUB = "Active connections: 3 \\nserver accepts handled requests\\n 10 10 1";

export function startApache(init: WebServerInit): Promise<WebServer> {
  const dir = makeDir("walrus-apache-");
  writeFileSync(join(dir, "broken-status.txt"), BROKEN_AUTO);
  const modules = ["mpm_event", "authz_core", "status", "alias", ...(init.backend ? ["proxy", "proxy_http"] : [])];
  const conf = [
    `ServerRoot ${dir}`,
    `ServerName ${init.host}`,
    `Listen ${init.host}:${init.port}`,
    `PidFile ${dir}/run/httpd.pid`,
    `DefaultRuntimeDir ${dir}/run`,
    `Mutex file:${dir}/run default`,
    `ErrorLog ${dir}/logs/error.log`,
    "LogLevel warn",
    ...modules.map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`),
    ...(isRoot ? ["User www-data", "Group www-data"] : []),
    "ServerLimit 1",
    "StartServers 1",
    `ThreadLimit ${APACHE_WORKERS}`,
    `ThreadsPerChild ${APACHE_WORKERS}`,
    `MaxRequestWorkers ${APACHE_WORKERS}`,
    "MinSpareThreads 1",
    `MaxSpareThreads ${APACHE_WORKERS}`,
    "ExtendedStatus On",
    "KeepAlive Off",
    `DocumentRoot ${dir}/htdocs`,
    "<Location /server-status>\n  SetHandler server-status\n</Location>",
    `Alias /broken-status ${dir}/broken-status.txt`,
    ...(init.backend ? [`ProxyPass /slow ${init.backend}/slow`, "ProxyTimeout 60"] : []),
    "",
  ].join("\n");
  writeFileSync(join(dir, "httpd.conf"), conf);
  const argv = ["/usr/sbin/apache2", "-f", `${dir}/httpd.conf`, "-DFOREGROUND"];
  return launch("apache", dir, argv, init, "/server-status?auto", "/broken-status");
}

export function startNginx(init: WebServerInit): Promise<WebServer> {
  const dir = makeDir("walrus-nginx-");
  const conf = `
worker_processes 1;
pid ${dir}/run/nginx.pid;
error_log ${dir}/logs/error.log warn;
${isRoot ? "user nobody nogroup;" : ""}
events { worker_connections 256; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path ${dir}/run/body;
  proxy_temp_path ${dir}/run/proxy;
  fastcgi_temp_path ${dir}/run/fastcgi;
  uwsgi_temp_path ${dir}/run/uwsgi;
  scgi_temp_path ${dir}/run/scgi;
  server {
    listen ${init.host}:${init.port};
    location = /nginx_status { stub_status; }
    location = /broken_status { default_type text/plain; return 200 "${BROKEN_STUB}"; }
    location = / { default_type text/plain; return 200 "served by nginx\\n"; }
    ${init.backend ? `location /slow { proxy_pass ${init.backend}; proxy_read_timeout 60s; }` : ""}
  }
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const argv = ["/usr/sbin/nginx", "-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/logs/error.log`, "-g", "daemon off;"];
  return launch("nginx", dir, argv, init, "/nginx_status", "/broken_status");
}

function makeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Workers run as an unprivileged user and must reach the lock files and served files.
  chmodSync(dir, 0o755);
  for (const sub of ["run", "logs", "htdocs"]) mkdirSync(join(dir, sub), { mode: 0o755 });
  return dir;
}

async function launch(kind: WebServer["kind"], dir: string, argv: string[], init: WebServerInit, statusPath: string, brokenPath: string): Promise<WebServer> {
  const base = `http://${init.host}:${init.port}`;
  let proc: Subprocess | undefined;
  const log = () => {
    try {
      return readFileSync(join(dir, "logs", "error.log"), "utf8").slice(-2000);
    } catch {
      return "(no error log)";
    }
  };
  const server: WebServer = {
    kind,
    base,
    statusUrl: `${base}${statusPath}`,
    brokenStatusUrl: `${base}${brokenPath}`,
    async start() {
      const p = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
      proc = p;
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        if (p.exitCode !== null) throw new Error(`${kind} exited with ${p.exitCode} at start:\n${log()}`);
        const up = await fetch(server.statusUrl, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        if (Date.now() > deadline) throw new Error(`${kind} did not answer at ${server.statusUrl} within ${START_TIMEOUT_MS} ms:\n${log()}`);
        await Bun.sleep(20); // polling for readiness; the loop ends on the event or the deadline
      }
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      proc.kill("SIGTERM"); // both servers stop their workers on SIGTERM before exiting
      await proc.exited;
    },
    async remove() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (e) {
    await server.remove();
    throw e;
  }
  return server;
}
