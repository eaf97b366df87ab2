// The options block of a BIND resolver for namespace tests: files in a test's own directory,
// IPv4 only, recursion for the clients given, no DNSSEC validation (the test zones are unsigned)
// unless a trust anchor is given: the DNSKEY RDATA ("257 3 13 base64") of a zone, validated from it.

export function namedOptions(o: {
  dir: string;
  listen: string;
  querySource?: string;
  allowRecursion?: string;
  trustAnchor?: { zone: string; dnskey: string };
}): string {
  const anchor = o.trustAnchor && /^(\d+) (\d+) (\d+) (.+)$/.exec(o.trustAnchor.dnskey);
  return `
options {
  directory "${o.dir}";
  pid-file "${o.dir}/named.pid";
  session-keyfile "${o.dir}/session.key";
  managed-keys-directory "${o.dir}";
  listen-on port 53 { ${o.listen}; };
  listen-on-v6 { none; };
${o.querySource ? `  query-source address ${o.querySource};\n` : ""}  recursion yes;
  allow-recursion { ${o.allowRecursion ?? "any"}; };
  dnssec-validation ${anchor ? "yes" : "no"};
};
${anchor ? `trust-anchors { "${o.trustAnchor!.zone}." static-key ${anchor[1]} ${anchor[2]} ${anchor[3]} "${anchor[4]}"; };\n` : ""}`;
}
