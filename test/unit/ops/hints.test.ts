import { expect, test } from "bun:test";
import { hintFor } from "../../../src/commands/hints.ts";

test.each([
  ["cannot reach the node at /var/lib/walrus/control.sock: EACCES", "sudo -u walrus"],
  ["cannot start: bind EADDRINUSE 0.0.0.0:53", "ss -lntup"],
  ["cannot start: Failed to start server. Is port 9464 in use?", "ss -lntup"],
  ["cannot start: bind EACCES 0.0.0.0:53", "CAP_NET_BIND_SERVICE"],
  ["cannot start: bind EADDRNOTAVAIL 192.0.2.1:53", "ip -br addr"],
])("%s → %s", (message, next) => {
  expect(hintFor(message)).toContain(next);
});

test("an error without a known remedy gets no made-up hint", () => {
  expect(hintFor('unknown server "web-x"; the site has web-east-1')).toBeUndefined();
});
