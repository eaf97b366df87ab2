// The rollover commands on a key directory: each step refuses until RFC 7583's interval has
// passed (unless forced), and the key states follow the steps.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dnssecActivate, dnssecDs, dnssecKeygen, dnssecRetire, PROPAGATION_SECONDS } from "../../../src/commands/dnssec.ts";
import { loadKeyDir } from "../../../src/dnssec/key-dir.ts";
import { isActive, isPublished } from "../../../src/dnssec/key.ts";
import { fixtureSite } from "../dns/site-fixture.ts";

test("keygen, keygen --next, activate, retire: a CSK rollover with its waits", () => {
  const dir = mkdtempSync(join(tmpdir(), "walrus-dnssec-"));
  try {
    const site = fixtureSite({ dnssecKeys: join(dir, "keys"), ttlSeconds: 30 });
    const t0 = 1_800_000_000;
    expect(() => dnssecKeygen({ site, now: t0, next: true })).toThrow("no key signs example.test yet");
    dnssecKeygen({ site, now: t0, next: false });
    expect(() => dnssecKeygen({ site, now: t0, next: false })).toThrow("already signs");
    const [old] = loadKeyDir(site.dnssecKeys!, site.zone);
    dnssecKeygen({ site, now: t0 + 100, next: true });
    const fresh = loadKeyDir(site.dnssecKeys!, site.zone).find((k) => k.tag !== old!.tag)!;
    expect([isPublished(fresh, t0 + 100), isActive(fresh, t0 + 100)]).toEqual([true, false]);
    expect(dnssecDs({ site, now: t0 + 100 }).ds).toHaveLength(2);

    const ready = t0 + 100 + 30 + PROPAGATION_SECONDS;
    expect(() => dnssecActivate({ site, now: ready - 1, tag: fresh.tag })).toThrow("Ipub");
    dnssecActivate({ site, now: ready, tag: fresh.tag });
    const after = loadKeyDir(site.dnssecKeys!, site.zone);
    expect(after.map((k) => [k.tag, isPublished(k, ready), isActive(k, ready)]).sort()).toEqual(
      [
        [old!.tag, true, false],
        [fresh.tag, true, true],
      ].sort(),
    );
    expect(() => dnssecRetire({ site, now: ready, tag: fresh.tag })).toThrow("still signs");
    expect(() => dnssecRetire({ site, now: ready + 1, tag: old!.tag })).toThrow("Iret");
    dnssecRetire({ site, now: ready + 1, tag: old!.tag, force: true });
    expect(
      loadKeyDir(site.dnssecKeys!, site.zone)
        .filter((k) => isPublished(k, ready + 1))
        .map((k) => k.tag),
    ).toEqual([fresh.tag]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
