// Static records from the config ([[site.records]]): parsed from their presentation text into
// dns-packet's form. Pure; the config validator and the zone builder share this one parser.

import { isIP } from "node:net";
import type { StaticType } from "../core/types.ts";

const HOST = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const U16 = (s: string | undefined) => (s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);

export type ParsedData = { ok: true; data: unknown } | { ok: false; expected: string };

/**
 * The record data of one static record. Target names are absolute, with or without the final
 * dot; `relativeTo` qualifies a single label ("mail" → "mail.example.com").
 */
export function parseRecordData(type: StaticType, text: string, relativeTo: string): ParsedData {
  const host = (s: string | undefined) => {
    if (s === undefined || !HOST.test(s)) return undefined;
    const n = s.toLowerCase().replace(/\.$/, "");
    return n.includes(".") || s.endsWith(".") ? n : `${n}.${relativeTo}`;
  };
  const words = text.trim().split(/\s+/);
  switch (type) {
    case "A":
      return isIP(text) === 4 ? { ok: true, data: text } : { ok: false, expected: "an IPv4 address" };
    case "AAAA":
      return isIP(text) === 6 ? { ok: true, data: text } : { ok: false, expected: "an IPv6 address" };
    case "CNAME": {
      const target = host(text);
      return target ? { ok: true, data: target } : { ok: false, expected: "a host name" };
    }
    case "MX": {
      const preference = U16(words[0]);
      const exchange = host(words[1]);
      return words.length === 2 && preference !== undefined && exchange
        ? { ok: true, data: { preference, exchange } }
        : { ok: false, expected: 'a preference and a host, such as "10 mail.example.com."' };
    }
    case "TXT": {
      // RFC 1035 §3.3.14: character-strings of at most 255 bytes each.
      const chunks: Buffer[] = [];
      const bytes = Buffer.from(text, "utf8");
      for (let at = 0; at < bytes.byteLength; at += 255) chunks.push(bytes.subarray(at, at + 255));
      return bytes.byteLength <= 4000
        ? { ok: true, data: chunks.length ? chunks : [Buffer.alloc(0)] }
        : { ok: false, expected: "a text of at most 4000 bytes" };
    }
    case "SRV": {
      const [priority, weight, port] = words.slice(0, 3).map(U16);
      const target = host(words[3]);
      return words.length === 4 && priority !== undefined && weight !== undefined && port !== undefined && target
        ? { ok: true, data: { priority, weight, port, target } }
        : { ok: false, expected: 'priority, weight, port and target, such as "0 5 5060 sip.example.com."' };
    }
  }
}
