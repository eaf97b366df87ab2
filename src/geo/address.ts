// IP addresses and CIDR prefixes as bytes, parsed from text. Pure; never throws.

export type Family = 4 | 6;

export interface Address {
  family: Family;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

export interface Prefix extends Address {
  /** Leading bits that count; the bits after them are zero. */
  length: number;
}

export const ADDRESS_BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** Dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is taken as the IPv4 address it carries. */
export function parseAddress(text: string): Address | undefined {
  if (!text.includes(":")) {
    const v4 = parseV4(text);
    return v4 && { family: 4, bytes: v4 };
  }
  const v6 = parseV6(text);
  if (!v6) return undefined;
  return isV4Mapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
}

/** "CIDR" text such as "192.0.2.0/24" or "2001:db8::/32", or a reason it is not one. */
export function parsePrefix(text: string): Prefix | string {
  const slash = text.indexOf("/");
  if (slash < 0) return "a prefix with its length, such as 192.0.2.0/24 or 2001:db8::/32";
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  const family: Family = addressText.includes(":") ? 6 : 4;
  const bytes = family === 4 ? parseV4(addressText) : parseV6(addressText);
  if (!bytes) return `an IPv${family} address before the "/"`;
  const bits = ADDRESS_BITS[family];
  const length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!(length <= bits)) return `a prefix length from 0 to ${bits} after the "/"`;
  if (!zeroAfter(bytes, length))
    return `no address bits set after the first ${length} (the network is ${formatPrefix({ family, bytes: truncate(bytes, length), length })})`;
  return { family, bytes, length };
}

/** A copy of `bytes` with every bit after the first `length` cleared. */
export function truncate(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.min(8, Math.max(0, length - 8 * i));
    out[i] = (out[i] ?? 0) & (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** True when no bit after the first `length` is set. */
export function zeroAfter(bytes: Uint8Array, length: number): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.min(8, Math.max(0, length - 8 * i));
    if ((bytes[i] ?? 0) & (0xff >> keep)) return false;
  }
  return true;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p)}/${p.length}`;
}

/** IPv4 dotted quad; IPv6 in RFC 5952 form (lower case, longest zero run as "::"). */
export function formatAddress({ family, bytes }: Address): string {
  if (family === 4) return Array.from(bytes.subarray(0, 4)).join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestAt = -1;
  let bestLength = 1; // a single zero word is not shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  return bestAt < 0 ? hex(words) : `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLength))}`;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? "";
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const groups = s.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? "";
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0] ?? "");
  const tail = halves.length === 2 ? words(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
