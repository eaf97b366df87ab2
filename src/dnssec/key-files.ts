// A zone key's two files in BIND's format, so BIND's and Knot's tools read them too
// (`dnssec-dsfromkey`, `keymgr import-bind`): K<zone>.+013+<tag>.key holds the DNSKEY in zone-file
// form, K<zone>.+013+<tag>.private the private scalar and the key's timing (RFC 7583 events).
// Pure text in and out; key-dir.ts reads and writes them.

import { ALGORITHM_ECDSAP256SHA256, dnskeyData, FLAGS_CSK, privateScalar, zoneKey, type KeyTimes, type ZoneKey } from "./key.ts";

const TIME_FIELDS: [keyof KeyTimes, string][] = [
  ["created", "Created"],
  ["publish", "Publish"],
  ["activate", "Activate"],
  ["inactive", "Inactive"],
  ["delete", "Delete"],
];

export function keyFileBase(key: ZoneKey): string {
  return `K${key.zone}.+${String(ALGORITHM_ECDSAP256SHA256).padStart(3, "0")}+${String(key.tag).padStart(5, "0")}`;
}

export function formatPublicFile(key: ZoneKey): string {
  const pub = Buffer.from(key.publicKey).toString("base64");
  return `; This is a combined signing key (CSK), keyid ${key.tag}, for ${key.zone}.\n${key.zone}. IN DNSKEY ${FLAGS_CSK} 3 ${ALGORITHM_ECDSAP256SHA256} ${pub}\n`;
}

export function formatPrivateFile(key: ZoneKey): string {
  const lines = [
    "Private-key-format: v1.3",
    `Algorithm: ${ALGORITHM_ECDSAP256SHA256} (ECDSAP256SHA256)`,
    `PrivateKey: ${Buffer.from(privateScalar(key)).toString("base64")}`,
  ];
  for (const [field, label] of TIME_FIELDS) {
    const t = key.times[field];
    if (t !== undefined) lines.push(`${label}: ${formatTime(t)}`);
  }
  return `${lines.join("\n")}\n`;
}

const PAIR = "a .private file whose P-256 scalar belongs to the .key file's DNSKEY";

export type ParsedKey = { ok: true; key: ZoneKey } | { ok: false; expected: string };

/** Both files' text back into a key; `zone` is the site's, which the DNSKEY's owner must be. */
export function parseKeyFiles(zone: string, publicText: string, privateText: string): ParsedKey {
  const line = publicText.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith(";"));
  const m = line?.trim().match(/^(\S+?)\.?\s+(?:\d+\s+)?(?:IN\s+)?DNSKEY\s+(\d+)\s+3\s+(\d+)\s+(.+)$/i);
  if (!m) return { ok: false, expected: "a DNSKEY line in the .key file" };
  if (m[1]!.toLowerCase() !== zone) return { ok: false, expected: `a key of the zone ${zone}, not ${m[1]}` };
  if (Number(m[2]) !== FLAGS_CSK || Number(m[3]) !== ALGORITHM_ECDSAP256SHA256)
    return { ok: false, expected: `flags ${FLAGS_CSK} and algorithm ${ALGORITHM_ECDSAP256SHA256} (ECDSAP256SHA256)` };
  const publicKey = Buffer.from(m[4]!.replace(/\s+/g, ""), "base64");
  if (publicKey.byteLength !== 64) return { ok: false, expected: "a 64-byte P-256 public key" };

  const fields = new Map<string, string>();
  for (const l of privateText.split("\n")) {
    const at = l.indexOf(":");
    if (at > 0) fields.set(l.slice(0, at).trim(), l.slice(at + 1).trim());
  }
  if (fields.get("Algorithm")?.split(" ")[0] !== String(ALGORITHM_ECDSAP256SHA256)) return { ok: false, expected: "Algorithm: 13 in the .private file" };
  const scalar = Buffer.from(fields.get("PrivateKey") ?? "", "base64");
  if (scalar.byteLength !== 32) return { ok: false, expected: "PrivateKey: a 32-byte P-256 scalar in base64 in the .private file" };
  const times: KeyTimes = { created: 0 };
  for (const [field, label] of TIME_FIELDS) {
    const text = fields.get(label);
    if (text === undefined) continue;
    const t = parseTime(text);
    if (t === undefined) return { ok: false, expected: `${label}: a UTC time YYYYMMDDHHMMSS` };
    times[field] = t;
  }
  let key: ZoneKey;
  try {
    key = zoneKey(zone, publicKey, scalar, times);
  } catch {
    return { ok: false, expected: PAIR };
  }
  // The two files must be one key: the private scalar's public point is the DNSKEY's.
  const derived = Buffer.from(`${key.privateKey.export({ format: "jwk" }).x}`, "base64url");
  if (!derived.equals(publicKey.subarray(0, 32))) return { ok: false, expected: PAIR };
  return { ok: true, key };
}

/** The DNSKEY RDATA a key file describes (for tests and the DS). */
export const publicRdata = (key: ZoneKey) => dnskeyData(key.publicKey);

export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function parseTime(text: string): number | undefined {
  const m = text.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000;
}
