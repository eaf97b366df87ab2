// What to do next, for the errors an operator meets most. Pure: the CLI appends the hint to
// the message it prints.
const HINTS: [RegExp, string][] = [
  [/control\.sock.*(EACCES|EPERM)/, "the control socket belongs to the user running the node: try `sudo -u walrus walrus ...`"],
  [/EADDRINUSE|Is port \d+ in use/, "another process holds that address: find it with `ss -lntup`, or change the listen address in the config"],
  [
    /(EACCES|EPERM).*:(53|\d{1,3})\b|\b(53|\d{1,3})\b.*(EACCES|EPERM)/,
    "ports below 1024 need root or CAP_NET_BIND_SERVICE: run under packaging/walrus.service, or `setcap cap_net_bind_service=+ep $(command -v walrus)`",
  ],
  [/EADDRNOTAVAIL/, "that address is not on this host: check `ip -br addr` against the listen addresses in the config"],
];

export function hintFor(message: string): string | undefined {
  return HINTS.find(([re]) => re.test(message))?.[1];
}
