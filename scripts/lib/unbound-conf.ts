// The part of an unbound.conf every test resolver shares: a foreground unbound on one address,
// open to one lab subnet, with its files in the test's directory. Tests add their modules,
// trust anchors and stub zones after it.
import { join } from "node:path";

export function unboundServerLines(o: { dir: string; listen: string; allow: string }): string[] {
  return [
    "server:",
    `  interface: ${o.listen}`,
    `  access-control: ${o.allow} allow`,
    '  username: ""',
    '  chroot: ""',
    `  directory: "${o.dir}"`,
    `  pidfile: "${join(o.dir, "unbound.pid")}"`,
    `  logfile: "${join(o.dir, "unbound.log")}"`,
    "  use-syslog: no",
    "  verbosity: 1",
  ];
}
