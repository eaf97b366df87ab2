// The key directory as a nameserver reads it: again only when it changed, and a change that makes
// no sense (a file half copied) leaves the keys held before in use, with the reason reported.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signingDue, signingFor, signingProblem } from "../../../src/dns/zone-keys.ts";
import { writeKey } from "../../../src/dnssec/key-dir.ts";
import { generateZoneKey } from "../../../src/dnssec/key.ts";
import { fixtureSite } from "./site-fixture.ts";

test("a broken key directory keeps the keys held before; a start without a usable key fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "walrus-keys-"));
  try {
    const now = Math.floor(Date.now() / 1000);
    const site = fixtureSite({ dnssecKeys: join(dir, "keys") });
    expect(() => signingFor(site, now)).toThrow("cannot read the key directory");
    const key = generateZoneKey(site.zone, { created: now, publish: now, activate: now });
    writeKey(site.dnssecKeys!, key);
    expect(signingFor(site, now)?.keys.map((k) => k.tag)).toEqual([key.tag]);
    expect(signingDue(site, now)).toBe(false);

    writeFileSync(join(site.dnssecKeys!, "Kexample.test.+013+00001.private"), "Private-key-format: v1.3\n");
    writeFileSync(join(site.dnssecKeys!, "Kexample.test.+013+00001.key"), "half a file");
    utimesSync(site.dnssecKeys!, now + 5, now + 5);
    expect(signingDue(site, now)).toBe(true);
    expect(signingFor(site, now)?.keys.map((k) => k.tag)).toEqual([key.tag]);
    expect(signingProblem()).toContain("Kexample.test.+013+00001");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
