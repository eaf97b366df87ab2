// The options block of a BIND resolver for namespace tests: files in a test's own directory,
// IPv4 only, recursion for the clients given, no DNSSEC validation (the test zones are unsigned).

export function namedOptions(o: { dir: string; listen: string; querySource?: string; allowRecursion?: string }): string {
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
  dnssec-validation no;
};
`;
}
