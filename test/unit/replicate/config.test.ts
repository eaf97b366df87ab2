import { expect, test } from "bun:test";
import { parse } from "smol-toml";
import { validate } from "../../../src/config/validate.ts";

const SITE = `[node]
name = "primary"
state_dir = "state"
listen = ["/ip4/0.0.0.0/tcp/7946"]
[site]
zone = "example.com"
names = ["www"]
secret_file = "site.secret"
[site.areas.east]
nameserver_addresses = ["198.51.100.53"]
[site.servers.web-1]
area = "east"
addresses = ["198.51.100.10", "2001:db8::10"]
[site.servers.web-2]
area = "east"
addresses = ["198.51.100.11"]
`;

test("[replicator] alone makes a node: defaults, and each server reached at its first address unless [replicator.hosts] says", () => {
  const r = validate(parse(`${SITE}[replicator]\nroot = "/srv/www/site/"\nidentity_file = "keys/id_ed25519"\n[replicator.hosts]\nweb-2 = "web-2.internal"\n`) as Record<string, unknown>, "node.toml", "/etc/walrus");
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  expect(r.config.replicator).toEqual({
    root: "/srv/www/site",
    user: "walrus",
    port: 22,
    keepReleases: 5,
    timeoutMs: 600_000,
    attempts: 3,
    identityFile: "/etc/walrus/keys/id_ed25519",
    hosts: new Map([["web-1", "198.51.100.10"], ["web-2", "web-2.internal"]]) as never,
  });
});
