// The bytes a signature covers: JSON with object keys sorted at every depth and no spacing, so
// the signer and every verifier, whatever order they built the object in, hash the same text.

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
}

/** What is signed: a domain tag (so a grant's signature can never pass as a revocation's) and the body. */
export function signedBytes(domain: string, body: unknown): Uint8Array {
  return new TextEncoder().encode(`walrus-${domain}-v1\n${canonicalJson(body)}`);
}
