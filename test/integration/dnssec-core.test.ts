// The DNSSEC core against BIND's own tools: the DS and key tag as dnssec-dsfromkey computes them
// from our key file, and our RRSIGs over a small zone as dnssec-verify checks them.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answer } from "dns-packet";
import { dnskeyData, dsText, generateZoneKey } from "../../src/dnssec/key.ts";
import { keyFileBase } from "../../src/dnssec/key-files.ts";
import { loadKeyDir, writeKey } from "../../src/dnssec/key-dir.ts";
import { typeBitmap } from "../../src/dnssec/nsec.ts";
import { canonicalRecord, signRRset } from "../../src/dnssec/rrsig.ts";
import { needs } from "./needs.ts";

const READY = needs("dnssec-core", { tools: ["dnssec-dsfromkey", "dnssec-verify"] });
const ZONE = "example.test";
const NOW = Math.floor(Date.now() / 1000);

function tool(cmd: string[], cwd?: string): { code: number; out: string } {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

describe.skipIf(!READY)("BIND's tools", () => {
  test("key files: BIND's dnssec-dsfromkey gives our DS and key tag; the private file is 0600 and round-trips", () => {
    const dir = mkdtempSync(join(tmpdir(), "walrus-dnssec-"));
    try {
      const key = generateZoneKey(ZONE, { created: NOW, publish: NOW, activate: NOW });
      const base = writeKey(dir, key);
      expect(statSync(`${base}.private`).mode & 0o777).toBe(0o600);
      const bind = tool(["dnssec-dsfromkey", "-2", `${base}.key`]);
      expect(bind.code).toBe(0);
      expect(bind.out.trim().replace(/\s+/g, " ")).toBe(dsText(key).replace(/\s+/g, " "));
      const [loaded] = loadKeyDir(dir, ZONE);
      expect(loaded?.tag).toBe(key.tag);
      expect(Buffer.from(dnskeyData(loaded!.publicKey)).equals(Buffer.from(dnskeyData(key.publicKey)))).toBe(true);
      expect(loaded?.times).toEqual(key.times);
      expect(keyFileBase(key)).toBe(`K${ZONE}.+013+${String(key.tag).padStart(5, "0")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("dnssec-verify accepts a zone signed by signRRset (canonical order, names, original TTL)", () => {
    const dir = mkdtempSync(join(tmpdir(), "walrus-dnssec-"));
    try {
      const key = generateZoneKey(ZONE, { created: NOW, publish: NOW, activate: NOW });
      writeKey(dir, key);
      const validity = { inception: NOW - 3600, expiration: NOW + 86_400 };
      const www = `www.${ZONE}`;
      const nsec = (owner: string, next: string, types: number[]): Answer =>
        ({
          type: "UNKNOWN_47",
          name: owner,
          ttl: 20,
          data: Buffer.concat([Buffer.from(canonicalRecord({ type: "NS", name: ZONE, ttl: 0, data: next }).rdata), typeBitmap(types)]),
        }) as unknown as Answer;
      const rrsets: Answer[][] = [
        [
          {
            type: "SOA",
            name: ZONE,
            ttl: 20,
            data: { mname: `ns.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 20 },
          },
        ],
        [{ type: "NS", name: ZONE, ttl: 20, data: `NS.${ZONE}` }],
        [{ type: "DNSKEY", name: ZONE, ttl: 20, data: { flags: 257, algorithm: 13, key: Buffer.from(key.publicKey) } }],
        ["192.0.2.9", "192.0.2.1", "192.0.2.5"].map((data) => ({ type: "A", name: www, ttl: 20, data })),
        [{ type: "A", name: `ns.${ZONE}`, ttl: 20, data: "192.0.2.53" }],
        [{ type: "MX", name: ZONE, ttl: 300, data: { preference: 10, exchange: `Mail.${ZONE}` } }],
        [{ type: "TXT", name: `Mail.${ZONE}`, ttl: 300, data: ["v=spf1 -all"] }],
        [nsec(ZONE, `mail.${ZONE}`, [2, 6, 15, 46, 47, 48])],
        [nsec(`mail.${ZONE}`, `ns.${ZONE}`, [16, 46, 47])],
        [nsec(`ns.${ZONE}`, www, [1, 46, 47])],
        [nsec(www, ZONE, [1, 46, 47])],
      ];
      const lines: string[] = [];
      for (const rrset of rrsets) for (const rr of [...rrset, signRRset(rrset, key, validity)]) lines.push(generic(rr));
      const file = join(dir, "zone.db");
      writeFileSync(file, `${lines.join("\n")}\n`);
      const r = tool(["dnssec-verify", "-z", "-o", ZONE, file]);
      expect(r.out).toContain("Zone fully signed");
      expect(r.code).toBe(0);
      // The check can fail: one signed record changed by a byte.
      const tampered = lines.map((l, i) => (i === 7 ? l.slice(0, -2) + (l.endsWith("00") ? "01" : "00") : l));
      writeFileSync(file, `${tampered.join("\n")}\n`);
      expect(tool(["dnssec-verify", "-z", "-o", ZONE, file]).code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A record in RFC 3597's generic form, which BIND reads for every type. */
function generic(rr: Answer): string {
  const c = canonicalRecord(rr);
  return `${rr.name}. ${(rr as { ttl?: number }).ttl} IN TYPE${c.type} \\# ${c.rdata.byteLength} ${Buffer.from(c.rdata).toString("hex")}`;
}
