import { describe, expect, test } from "bun:test";
import { serverName, type DrainEntry } from "../../../src/core/types.ts";
import { DrainGossip, drainsDigest, REFRESH_BEATS } from "../../../src/state/drain-gossip.ts";
import type { Drains } from "../../../src/state/drains.ts";

const entry = (server: string, atMs: number): DrainEntry => ({ server: serverName(server), drained: true, reason: "maintenance", atMs, by: "ops" });
const table = (...es: DrainEntry[]): Drains => new Map(es.map((e) => [e.server, e]));

describe("drainsDigest", () => {
  test("is the same for the same entries in any order, and differs when one changes", () => {
    const a = entry("web-1", 1);
    const b = entry("web-2", 2);
    expect(drainsDigest(table(a, b))).toBe(drainsDigest(table(b, a)));
    expect(drainsDigest(table(a, b))).not.toBe(drainsDigest(table(a, entry("web-2", 3))));
    expect(drainsDigest(table())).not.toBe(drainsDigest(table(a)));
  });
});

describe("DrainGossip: when a heartbeat carries the whole table", () => {
  const t = table(entry("web-1", 1));
  const carried = (g: DrainGossip) => g.outgoing(t).drains.length > 0;

  test("the first heartbeat, then only the digest until the slow refresh", () => {
    const g = new DrainGossip();
    const beats = Array.from({ length: 2 * REFRESH_BEATS + 1 }, () => carried(g));
    expect(beats.map((full, i) => (full ? i : -1)).filter((i) => i >= 0)).toEqual([0, REFRESH_BEATS, 2 * REFRESH_BEATS]);
    expect(g.outgoing(t).drainsDigest).toBe(drainsDigest(t));
  });

  test("after a peer connects or the table changes", () => {
    const g = new DrainGossip();
    carried(g);
    expect(carried(g)).toBe(false);
    g.sendNext();
    expect(carried(g)).toBe(true);
    expect(carried(g)).toBe(false);
  });

  test("after hearing a digest that differs from ours, not after one that matches or none", () => {
    const g = new DrainGossip();
    carried(g);
    g.heard(drainsDigest(t), t);
    g.heard(undefined, t);
    expect(carried(g)).toBe(false);
    g.heard(drainsDigest(table()), t);
    expect(carried(g)).toBe(true);
  });
});
