// [reporter]: each source with its keys, and the errors a wrong table gets.
import { describe, expect, test } from "bun:test";
import { parse } from "smol-toml";
import type { ConfigError } from "../../../src/core/fields.ts";
import { validate } from "../../../src/config/validate.ts";

const SITE = `[node]
name = "east-1"
state_dir = "state"
listen = ["/ip4/0.0.0.0/tcp/7946"]

[site]
zone = "example.com"
names = ["www"]
secret_file = "site.secret"
report_interval_ms = 500
[site.areas.east]
nameserver_addresses = ["198.51.100.53"]
[site.servers.web-east-1]
area = "east"
addresses = ["198.51.100.10"]
`;

const run = (reporter: string) =>
  validate(parse(`${SITE}\n[reporter]\nserver = "web-east-1"\n${reporter}\n`) as Record<string, unknown>, "node.toml", "/etc/walrus");

describe("[reporter] accepted", () => {
  // [what, table body, expected config.reporter fields]
  const rows: [string, string, Record<string, unknown>][] = [
    [
      "apache by default, with today's status_url; timeout capped by the report interval",
      'status_url = "http://127.0.0.1/server-status?auto"',
      { source: { kind: "apache", statusUrl: "http://127.0.0.1/server-status?auto" }, timeoutMs: 500, fallCount: 2, riseCount: 3 },
    ],
    [
      "apache with a stated MaxRequestWorkers",
      'source = "apache"\nstatus_url = "http://127.0.0.1/server-status?auto"\nmax_workers = 150',
      { source: { kind: "apache", statusUrl: "http://127.0.0.1/server-status?auto", maxWorkers: 150 } },
    ],
    [
      "nginx with its capacity",
      'source = "nginx"\nstatus_url = "http://127.0.0.1/nginx_status"\ncapacity = 4096',
      { source: { kind: "nginx", statusUrl: "http://127.0.0.1/nginx_status", capacity: 4096 } },
    ],
    [
      "http probe: expect 200 by default",
      'source = "http"\nurl = "http://127.0.0.1/health"',
      { source: { kind: "http", url: "http://127.0.0.1/health", expectStatus: 200 } },
    ],
    [
      "http probe with status and body",
      'source = "http"\nurl = "https://127.0.0.1/"\nexpect_status = 204\nexpect_body = "ok"',
      { source: { kind: "http", url: "https://127.0.0.1/", expectStatus: 204, expectBody: "ok" } },
    ],
    ["tcp probe, IPv6", 'source = "tcp"\naddress = "[::1]:8080"', { source: { kind: "tcp", address: { host: "::1", port: 8080 } } }],
    [
      "bypass command, counts and timeout",
      'status_url = "http://127.0.0.1/s?auto"\nbypass_command = "test -e /run/ok"\nfall_count = 3\nrise_count = 5\ntimeout_ms = 300',
      { bypassCommand: "test -e /run/ok", fallCount: 3, riseCount: 5, timeoutMs: 300 },
    ],
    [
      "content version command",
      'status_url = "http://127.0.0.1/s?auto"\ncontent_version_command = "psql -Atc \'select extract(epoch from pg_last_xact_replay_timestamp())\'"',
      { contentVersionCommand: "psql -Atc 'select extract(epoch from pg_last_xact_replay_timestamp())'" },
    ],
  ];
  test.each(rows)("%s", (_what, body, expected) => {
    const r = run(body);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.config.reporter).toMatchObject(expected);
  });
});

describe("[reporter] rejected", () => {
  // [what, table body, key path, fragment of what was expected]
  const rows: [string, string, string, string][] = [
    ["unknown source", 'source = "lighttpd"', "reporter.source", 'one of "apache", "nginx", "http", "tcp"'],
    ["apache without status_url", 'source = "apache"', "reporter.status_url", "mod_status ?auto page"],
    [
      "nginx without capacity",
      'source = "nginx"\nstatus_url = "http://127.0.0.1/nginx_status"',
      "reporter.capacity",
      "an integer from 1 to 100000000 connections",
    ],
    ["nginx capacity 0", 'source = "nginx"\nstatus_url = "http://127.0.0.1/n"\ncapacity = 0', "reporter.capacity", "an integer from 1"],
    [
      "capacity with apache",
      'status_url = "http://127.0.0.1/s?auto"\ncapacity = 10',
      "reporter.capacity",
      'no capacity with source = "apache" (it belongs to source = "nginx")',
    ],
    [
      "status_url with tcp",
      'source = "tcp"\naddress = "127.0.0.1:80"\nstatus_url = "http://x/"',
      "reporter.status_url",
      'belongs to source = "apache" or source = "nginx"',
    ],
    ["http without url", 'source = "http"', "reporter.url", "an http:// or https:// URL to probe"],
    [
      "http expect_status out of range",
      'source = "http"\nurl = "http://127.0.0.1/"\nexpect_status = 99',
      "reporter.expect_status",
      "an integer from 100 to 599",
    ],
    ["http empty expect_body", 'source = "http"\nurl = "http://127.0.0.1/"\nexpect_body = ""', "reporter.expect_body", "text the body must contain"],
    ["tcp address without port", 'source = "tcp"\naddress = "127.0.0.1"', "reporter.address", 'an address and port such as "127.0.0.1:80"'],
    ["tcp address a host name", 'source = "tcp"\naddress = "localhost:80"', "reporter.address", "an address and port"],
    [
      "bypass_command not a string",
      'status_url = "http://127.0.0.1/s?auto"\nbypass_command = 1',
      "reporter.bypass_command",
      "a command line run with /bin/sh -c",
    ],
    [
      "content_version_command not a string",
      'status_url = "http://127.0.0.1/s?auto"\ncontent_version_command = true',
      "reporter.content_version_command",
      "prints the time of the newest change of the content, in Unix seconds",
    ],
    ["rise_count 0", 'status_url = "http://127.0.0.1/s?auto"\nrise_count = 0', "reporter.rise_count", "an integer from 1 to 100"],
    ["unknown key", 'status_url = "http://127.0.0.1/s?auto"\nstatusurl = "x"', "reporter.statusurl", "(unknown key)"],
  ];
  test.each(rows)("%s", (_what, body, key, fragment) => {
    const r = run(body);
    const errors: ConfigError[] = r.ok ? [] : r.errors;
    const hit = errors.find((e) => e.key === key);
    expect(hit ? `${hit.key}: ${hit.expected}` : JSON.stringify(errors)).toContain(`${key}: `);
    expect(hit?.expected).toContain(fragment);
    expect(hit?.file).toBe("node.toml");
  });
});

describe("[site] tempfail_reuse_ms", () => {
  const site = (extra: string) =>
    validate(
      parse(SITE.replace("[site]\n", `[site]\n${extra}\n`) + '\n[reporter]\nserver = "web-east-1"\nstatus_url = "http://127.0.0.1/s?auto"\n') as Record<
        string,
        unknown
      >,
      "node.toml",
      "/etc/walrus",
    );
  test("defaults to dead_after_ms", () => {
    const r = site("dead_after_ms = 4000");
    expect(r.ok && r.config.site.tempfailReuseMs).toBe(4000);
  });
  test("can be set apart from it", () => {
    const r = site("tempfail_reuse_ms = 10000");
    expect(r.ok && r.config.site.tempfailReuseMs).toBe(10_000);
  });
  test("a negative age is rejected", () => {
    const r = site("tempfail_reuse_ms = -1");
    expect(r.ok ? [] : r.errors.map((e) => `${e.key}: ${e.expected}`)).toEqual(["site.tempfail_reuse_ms: an integer from 0 to 3600000 ms"]);
  });
});
