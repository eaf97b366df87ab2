import { expect, test } from "bun:test";
import { explain, formatStatus } from "../../../src/commands/status-format.ts";
import { serverName } from "../../../src/core/types.ts";
import type { StatusReport } from "../../../src/ops/status.ts";

const report: StatusReport = {
  node: "west",
  peer: "p-west",
  site: { zone: "demo.test", digest: "abc", version: 3 },
  roles: ["controller", "nameserver"],
  master: { peer: "p-east", node: "east", self: false },
  members: [],
  authority: { mode: "grants", operatorKeys: 1, revoked: [] },
  assignment: { master: "p-east", epoch: 2, seq: 40, ageMs: 300 },
  areas: [
    { area: "east", cluster: "east", servers: ["web-east-1"], reason: "home", detail: "home cluster has 1 server(s) below threshold 0.8" },
    { area: "west", cluster: "east", servers: ["web-east-1"], reason: "availability", detail: "west has no functioning server; east functions (load 0.06)" },
    { area: "north", cluster: "east", servers: ["web-east-1"], reason: "balance", detail: "north load 0.95 → east load 0.30 (margin 0.2)" },
  ],
  servers: [],
  dns: null,
  gossip: { peers: 2, accepted: {}, rejected: {} },
  process: { rssBytes: 84 * 2 ** 20, cpuSeconds: 12.3, uptimeSeconds: 3600 },
  locations: null,
  decisions: [
    {
      atMs: Date.UTC(2026, 10, 22, 23, 0, 5),
      area: "north",
      from: "north",
      to: "east",
      reason: "balance",
      detail: "north load 0.95 → east load 0.30 (margin 0.2)",
      epoch: 2,
      seq: 39,
    },
    {
      atMs: Date.UTC(2026, 10, 22, 23, 0, 1),
      area: "west",
      from: "west",
      to: "east",
      reason: "availability",
      detail: "west has no functioning server; east functions (load 0.06)",
      epoch: 2,
      seq: 35,
    },
    {
      atMs: Date.UTC(2026, 10, 22, 22, 59, 0),
      area: "east",
      from: null,
      to: "east",
      reason: "home",
      detail: "home cluster has 1 server(s) below threshold 0.8",
      epoch: 2,
      seq: 1,
    },
  ],
};

test("each area says why it points where it does, in the operator's words, with the figures", () => {
  const text = formatStatus(report);
  expect(text).toMatch(/^east\s+east\s+web-east-1\s+home and healthy: home cluster has 1 server/m);
  expect(text).toMatch(/^west\s+east\s+web-east-1\s+forced by availability: west has no functioning server/m);
  expect(text).toMatch(/^north\s+east\s+web-east-1\s+moved by balancing: north load 0.95 → east load 0.30 \(margin 0.2\)/m);
});

test("recent decisions are listed newest first with time, move, reason and figures", () => {
  const lines = formatStatus(report).split("\n");
  const start = lines.findIndex((l) => l.startsWith("recent decisions"));
  expect(lines[start]).toBe("recent decisions (newest first, of 3 kept):");
  expect(lines.slice(start + 2, start + 5).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
    ["23:00:05", "north", "north → east", "moved by balancing"],
    ["23:00:01", "west", "west → east", "forced by availability"],
    ["22:59:00", "east", "→ east", "home and healthy"],
  ]);
});

test("the node's own memory and CPU, with its mean share of a core", () => {
  expect(formatStatus(report)).toContain("this node: RSS 84 MB, CPU 12.3 s in 3600 s (0.34 % of a core)");
});

test("no decisions yet: no empty table", () => {
  expect(formatStatus({ ...report, decisions: [] })).not.toContain("recent decisions");
});

test("an area kept away from home says what moved it there", () => {
  const kept = {
    area: "west",
    cluster: "east",
    servers: ["web-east-1"],
    reason: "kept" as const,
    detail: "east load 0.06; no cluster would be better by 0.2 with this area",
  };
  expect(explain(kept, report.decisions)).toBe(
    "kept (no better cluster): east load 0.06; no cluster would be better by 0.2 with this area; there since 23:00:01, forced by availability: west has no functioning server; east functions (load 0.06)",
  );
  // at home, or with nothing in the log, the reason stands alone
  expect(explain({ ...kept, cluster: "west" }, report.decisions)).toBe(
    "kept (no better cluster): east load 0.06; no cluster would be better by 0.2 with this area",
  );
  expect(explain(kept, [])).toBe("kept (no better cluster): east load 0.06; no cluster would be better by 0.2 with this area");
});

test("an area's spill shares are listed under the areas, with target, share and loads", () => {
  const spilling = {
    ...report,
    areas: [
      {
        ...(report.areas[0] as StatusReport["areas"][number]),
        spill: [{ to: "north", fraction: 0.3, text: "east 30 % → north: east load 0.93 ≥ 0.8, north 0.35" }],
      },
    ],
  };
  expect(formatStatus(spilling)).toContain("\nspill: east 30 % → north: east load 0.93 ≥ 0.8, north 0.35\n");
  expect(formatStatus(report)).not.toContain("spill:");
});

test("the replicator's node lists each server its resync keeps failing on, with the error and the next try", () => {
  const failing = {
    ...report,
    resync: [{ server: serverName("web-2"), failures: 3, error: "ssh to 10.0.0.2 failed (exit 255): Connection timed out", retryInMs: 4000 }],
  };
  const text = formatStatus(failing);
  expect(text).toMatch(/RESYNC FAILING +TRIES +NEXT TRY IN +LAST ERROR\n/);
  expect(text).toMatch(/web-2 +3 +4\.0 s +ssh to 10\.0\.0\.2 failed \(exit 255\): Connection timed out/);
  expect(formatStatus({ ...report, resync: [] })).not.toContain("RESYNC");
});
