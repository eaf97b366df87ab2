import { expect, test } from "bun:test";
import { reloadPlan } from "../../../src/config/reload.ts";
import type { NodeConfig } from "../../../src/config/types.ts";
import { simNodeConfig } from "../../../src/sim/sim-node-config.ts";
import { fixtureSite } from "../dns/site-fixture.ts";
import { areaName, peerIdText, type Grant } from "../../../src/core/types.ts";

const base: NodeConfig = simNodeConfig(fixtureSite(), { name: "east", area: areaName("east"), priority: 10 });
const withKeys = (keys: string[]) => ({ ...base, node: { ...base.node, operatorKeys: keys } }) as NodeConfig;
const grant = { id: "g", peer: peerIdText("p"), node: "east", roles: {}, issuedAtMs: 0, expiresAtMs: 1, key: "k", sig: "s" } as unknown as Grant;

test.each([
  ["nothing changed", base, [], []],
  ["new grants: applied", { ...base, grants: [grant] }, ["node.grants_file"], []],
  ["listen addresses: a restart", { ...base, node: { ...base.node, listen: ["/ip4/127.0.0.1/tcp/2"] } }, [], ["node.listen"]],
  [
    "operator keys on an open site: a restart (the mode changes)",
    { ...base, node: { ...base.node, operatorKeys: ["ed25519:x"] } } as NodeConfig,
    [],
    ["node.operator_keys"],
  ],
  ["a controller's priority: a restart", { ...base, controller: { priority: 5 } }, [], ["controller"]],
  ["[site] in the file: pushed instead", { ...base, siteTable: { zone: "other.test" } }, [], ["site (push it with `walrus site push` to change it now)"]],
] as const)("SIGHUP: %s", (_what, next, applied, needsRestart) => {
  expect(reloadPlan(base, next as NodeConfig)).toEqual({ applied: [...applied], needsRestart: [...needsRestart] });
});

test("SIGHUP: operator keys rotated on a site with grants are applied; all removed needs a restart (the mode changes)", () => {
  expect(reloadPlan(withKeys(["ed25519:x"]), withKeys(["ed25519:x", "ed25519:y"]))).toEqual({ applied: ["node.operator_keys"], needsRestart: [] });
  expect(reloadPlan(withKeys(["ed25519:x"]), base)).toEqual({ applied: [], needsRestart: ["node.operator_keys"] });
});
