// The [notify], [metrics] and [spread] tables: defaults, and every rejected value named with its key.
import { expect, test } from "bun:test";
import { parse } from "smol-toml";
import { validate } from "../../../src/config/validate.ts";

const BASE = `
[node]
name = "east-1"
state_dir = "state"
listen = ["/ip4/127.0.0.1/tcp/7946"]
[controller]
[site]
zone = "example.com"
names = ["www"]
secret_file = "site.secret"
[site.areas.east]
nameserver_addresses = ["198.51.100.53"]
[site.servers.web-east-1]
area = "east"
addresses = ["198.51.100.10"]
`;
const run = (extra: string) => validate(parse(BASE + extra) as Record<string, unknown>, "/etc/walrus/node.toml", "/etc/walrus");

test("webhook and webhooks merge; metrics listen parses", () => {
  const r = run('[notify]\nwebhook = "https://a.example/x"\nwebhooks = ["http://b.example/y"]\ndead_for_ms = 5000\n[metrics]\nlisten = "[::1]:9464"\n');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  expect(r.config.notify).toEqual({
    webhooks: ["https://a.example/x", "http://b.example/y"],
    deadForMs: 5000,
    staleForMs: 300_000,
    repeatAfterMs: 600_000,
    maxPerMinute: 20,
    attempts: 4,
  });
  expect(r.config.metrics).toEqual({ listen: { host: "::1", port: 9464 } });
});

test("[spread] defaults to warning at 1.5 × an even share held for five minutes", () => {
  const r = run("");
  expect(r.ok && r.config.spread).toEqual({ skewFactor: 1.5, skewForMs: 300_000 });
  const set = run("[spread]\nskew_factor = 1.8\nskew_for_ms = 60000\n");
  expect(set.ok && set.config.spread).toEqual({ skewFactor: 1.8, skewForMs: 60_000 });
});

test("no [metrics] table: no listener", () => {
  const r = run("");
  expect(r.ok && r.config.metrics).toBeUndefined();
});

test.each([
  ["webhooks entry not a URL", '[notify]\nwebhooks = ["hooks.example.com"]\n', "notify.webhooks[0]", "an http:// or https:// URL"],
  ["dead_for_ms below dead_after_ms", "[notify]\ndead_for_ms = 100\n", "notify.dead_for_ms", "at least site.dead_after_ms"],
  ["max_per_minute zero", "[notify]\nmax_per_minute = 0\n", "notify.max_per_minute", "from 1 to 10000"],
  ["attempts not an integer", "[notify]\nattempts = 1.5\n", "notify.attempts", "an integer"],
  ["unknown notify key", '[notify]\nslack = "x"\n', "notify.slack", "unknown key"],
  ["metrics listen without port", '[metrics]\nlisten = "127.0.0.1"\n', "metrics.listen", '"127.0.0.1:9464"'],
  ["metrics listen a host name", '[metrics]\nlisten = "localhost:9464"\n', "metrics.listen", '"127.0.0.1:9464"'],
  ["unknown metrics key", '[metrics]\nlisten = "127.0.0.1:9464"\npath = "/m"\n', "metrics.path", "unknown key"],
  ["skew_factor of an even split", "[spread]\nskew_factor = 1\n", "spread.skew_factor", "from 1.05 to 100 times an even split"],
  ["skew_for_ms past the full-resolution history", "[spread]\nskew_for_ms = 3600000\n", "spread.skew_for_ms", "from 1000 to 1800000 ms"],
  ["unknown spread key", "[spread]\nfactor = 2\n", "spread.factor", "unknown key"],
])("%s is rejected with its key", (_name, extra, key, expected) => {
  const r = run(extra);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  const e = r.errors.find((x) => x.key === key);
  expect(e?.expected).toContain(expected);
  expect(e?.file).toBe("/etc/walrus/node.toml");
});
