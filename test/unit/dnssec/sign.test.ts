// The DNSSEC core's pure parts: key files round-trip and refuse what does not belong together,
// key timing, and the signature cache's reuse and re-signing times. BIND's tools check the DS
// and the signatures in test/integration/dnssec-core.test.ts.

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answer } from "dns-packet";
import { generateZoneKey, isActive, isPublished } from "../../../src/dnssec/key.ts";
import { parseKeyFiles } from "../../../src/dnssec/key-files.ts";
import { writeKey } from "../../../src/dnssec/key-dir.ts";
import { signatureCache, window, DEFAULT_SIGNING } from "../../../src/dnssec/signatures.ts";

const ZONE = "example.test";
const NOW = Math.floor(Date.now() / 1000);

test("key files: a mismatched private file, another zone or a bad scalar are refused with what was expected", () => {
  const a = generateZoneKey(ZONE, { created: NOW });
  const b = generateZoneKey(ZONE, { created: NOW });
  const dir = mkdtempSync(join(tmpdir(), "walrus-dnssec-"));
  try {
    const baseA = writeKey(dir, a);
    const baseB = writeKey(dir, b);
    const pubA = readFileSync(`${baseA}.key`, "utf8");
    const privB = readFileSync(`${baseB}.private`, "utf8");
    expect(parseKeyFiles(ZONE, pubA, privB)).toEqual({ ok: false, expected: "a .private file whose P-256 scalar belongs to the .key file's DNSKEY" });
    expect(parseKeyFiles("other.test", pubA, privB).ok).toBe(false);
    expect(parseKeyFiles(ZONE, pubA, privB.replace(/PrivateKey: .*/, "PrivateKey: AAAA")).ok).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("key timing: published and active follow the RFC 7583 events", () => {
  const k = generateZoneKey(ZONE, { created: 0, publish: 10, activate: 20, inactive: 30, delete: 40 });
  expect([5, 15, 25, 35, 45].map((t) => [isPublished(k, t), isActive(k, t)])).toEqual([
    [false, false],
    [true, false],
    [true, true],
    [true, false],
    [false, false],
  ]);
});

test("signatures: cached per RRset content in any order, due again at half the validity plus a hashed jitter", () => {
  const key = generateZoneKey(ZONE, { created: NOW });
  const cache = signatureCache();
  const a: Answer[] = ["192.0.2.1", "192.0.2.2"].map((data) => ({ type: "A", name: `www.${ZONE}`, ttl: 20, data }));
  const first = cache.sign(a, key, NOW);
  expect(cache.sign([...a].reverse(), key, NOW + 10)).toBe(first);
  expect(cache.made).toBe(1);
  const due = cache.nextResignAt();
  const half = NOW + DEFAULT_SIGNING.validitySeconds / 2;
  expect(due).toBeLessThanOrEqual(half);
  expect(due).toBeGreaterThanOrEqual(half - DEFAULT_SIGNING.validitySeconds * DEFAULT_SIGNING.jitter);
  expect(window(DEFAULT_SIGNING, NOW, "x")).toEqual(window(DEFAULT_SIGNING, NOW, "x"));
  expect(cache.sign(a, key, due)).not.toBe(first);
  cache.begin();
  cache.begin();
  cache.sweep();
  expect(cache.size).toBe(0);
});
