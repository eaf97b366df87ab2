// Sites for the simulation tests, built through the real config validator.
import { parse } from "smol-toml";
import { validate } from "../../src/config/validate.ts";
import type { Site } from "../../src/core/types.ts";

/** areas: name → number of servers in its home cluster. */
export function simSite(areas: Record<string, number>, siteKeys = ""): Site {
  const toml = [
    "[node]",
    'name = "sim"',
    'state_dir = "/tmp/walrus-sim"',
    'listen = ["/ip4/127.0.0.1/tcp/1"]',
    "[controller]",
    "[site]",
    'zone = "sim.test"',
    'names = ["www"]',
    'load_terms = ["workers"]',
    'secret_file = "/dev/null"',
    siteKeys,
    ...Object.entries(areas).flatMap(([a, n]) => [
      `[site.areas.${a}]`,
      'nameserver_addresses = ["192.0.2.53"]',
      ...Array.from({ length: n }, (_, i) => `[site.servers.${a}-${i + 1}]\narea = "${a}"\naddresses = ["192.0.2.${i + 1}"]`),
    ]),
  ].join("\n");
  const v = validate(parse(toml) as Record<string, unknown>, "sim.toml", "/tmp");
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.config.site;
}
