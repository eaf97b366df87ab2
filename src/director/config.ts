// [director]: existing primaries walrus keeps in step with the assignment by RFC 2136 UPDATE
// (the thesis' Director, §3.5). Pure; called by validate.ts, errors through the same Fields.

import { resolve } from "node:path";
import { areaName, type AreaName } from "../core/types.ts";
import type { DirectorLayout } from "./records.ts";
import type { Fields, Table } from "../core/fields.ts";
import { parseHostPort } from "../core/host-port.ts";
import type { HostPort } from "../core/host-port.ts";

export interface DirectorBackendConfig {
  name: string;
  server: HostPort;
  /** A TSIG key (HMAC-SHA256) as tsig-keygen or keymgr -t writes it; read when the node starts. */
  keyFile: string;
  /** views layout: the area whose answers this backend (a view of the operator's server) holds. */
  area?: AreaName;
}

export interface DirectorConfig {
  layout: DirectorLayout;
  /** Limit on each exchange with a backend. */
  timeoutMs: number;
  /** At most one exchange per backend this often: bounds the update rate. */
  minIntervalMs: number;
  backends: DirectorBackendConfig[];
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateDirector(f: Fields, t: Table, areas: ReadonlySet<string>, baseDir: string): DirectorConfig {
  const p = "director";
  f.known(t, p, ["layout", "timeout_ms", "min_interval_ms", "backends"]);
  const layout = f.string(t, p, "layout", {
    default: "area-zones",
    pattern: /^(area-zones|views)$/,
    expected: '"area-zones" (thesis §8.2: a zone per area) or "views" (the balanced names in one view per area)',
  }) as DirectorLayout;
  const cfg: DirectorConfig = {
    layout,
    timeoutMs: f.number(t, p, "timeout_ms", { default: 2000, min: 100, max: 60_000, integer: true, unit: "ms" }),
    minIntervalMs: f.number(t, p, "min_interval_ms", { default: 100, min: 0, max: 60_000, integer: true, unit: "ms" }),
    backends: [],
  };
  const raw = t.backends;
  if (!Array.isArray(raw) || raw.length === 0) f.fail(`${p}.backends`, raw, "at least one [[director.backends]] table with name, server and key_file");
  const names = new Set<string>();
  for (const [bp, v] of f.tablesIn(raw, `${p}.backends`, "a table with name, server and key_file")) {
    f.known(v, bp, ["name", "server", "key_file", "area"]);
    const name = f.string(v, bp, "name", { pattern: NAME, expected: "a name of lower-case letters, digits and inner hyphens" });
    if (names.has(name)) f.fail(`${bp}.name`, name, "a name no other backend has");
    names.add(name);
    const serverText = f.string(v, bp, "server", { expected: 'the primary\'s address and port, such as "192.0.2.53:53"' });
    const server = parseHostPort(serverText);
    if (!server && serverText) f.fail(`${bp}.server`, serverText, 'an address and port, such as "192.0.2.53:53" or "[2001:db8::53]:53"');
    const keyFile = resolve(baseDir, f.string(v, bp, "key_file", { expected: "a path to a TSIG key file (make one with tsig-keygen -a hmac-sha256 NAME)" }));
    const backend: DirectorBackendConfig = { name, server: server ?? { host: "", port: 0 }, keyFile };
    if (layout === "views" || v.area !== undefined) {
      const area = f.string(v, bp, "area", { expected: `with layout "views", the area this backend's view answers for: one of ${[...areas].join(", ")}` });
      if (area && !areas.has(area)) f.fail(`${bp}.area`, area, `one of the areas ${[...areas].join(", ")}`);
      if (layout !== "views") f.fail(`${bp}.area`, area, 'no area: with layout "area-zones" every backend holds every area\'s zone');
      backend.area = areaName(area);
    }
    cfg.backends.push(backend);
  }
  return cfg;
}
