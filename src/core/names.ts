// How a name in the config is read against the zone.

/**
 * A single label is relative to the zone ("www"); a name with dots is absolute, with or without
 * the trailing dot ("www.example.com", "ns1.provider.net."). A wildcard's "*" label goes in
 * front of the name the rest stands for: "*.shop" is *.shop.<zone> (RFC 4592).
 */
export function qualify(name: string, zone: string): string {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n.startsWith("*.")) return `*.${qualify(n.slice(2), zone)}`;
  return n.includes(".") || n === zone ? n : `${n}.${zone}`;
}
