// Domain names in wire form (RFC 1035 §3.1), shared by the DNS answerer and DNSSEC. Pure.

/** A name in canonical wire form: lower case, uncompressed. */
export function nameToWire(name: string): Uint8Array {
  const labels = name
    .toLowerCase()
    .replace(/\.$/, "")
    .split(".")
    .filter((l) => l.length > 0);
  const parts: Uint8Array[] = [];
  for (const l of labels) {
    const bytes = new TextEncoder().encode(l);
    if (bytes.byteLength > 63) throw new Error(`label longer than 63 bytes in ${name}`);
    parts.push(new Uint8Array([bytes.byteLength]), bytes);
  }
  parts.push(new Uint8Array([0]));
  return Buffer.concat(parts);
}
