// Servers that register themselves (issue 12): a web host granted a reporter for a server the site
// document does not list announces it (area and addresses) in its heartbeats; where the document
// lets that area take such servers, every node adds it to the area's cluster at once. The grant
// is the only authority: the announcement is a claim held against its signer, judged again at
// each use so an expired or revoked grant, or a document that stops allowing it, takes it out.
// The document wins: a server it lists is answered as listed.
import { isIP } from "node:net";
import type { PeerIdText, Registration, ServerName, Site } from "../core/types.ts";
import { isOpen, refusal, type Authority } from "./authority.ts";

/** As a [site.servers] key; a server's answer holds at most this many addresses of its own. */
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const REGISTRATION_LIMITS = { addresses: 16 };

/** Why `from` may not register `r` in `site` now, or undefined when it may. */
export function registrationRefusal(r: Registration, from: PeerIdText, a: Authority, site: Site, nowMs: number): string | undefined {
  if (isOpen(a)) return "register-needs-grants";
  if (site.servers.some((s) => s.name === r.server)) return "register-server-listed";
  const area = site.areas.find((x) => x.name === r.area);
  if (!area) return "register-unknown-area";
  if (!area.selfRegister) return "register-not-allowed";
  if (refusal(a, from, { kind: "report", server: r.server }, nowMs)) return "register-not-granted";
  if (!NAME.test(r.server)) return "register-bad-name";
  if (!r.addresses.length || r.addresses.length > REGISTRATION_LIMITS.addresses || !r.addresses.every((x) => isIP(x))) return "register-bad-address";
  return undefined;
}

export interface RegisteredSite {
  /** The document's site with the registered servers after its own (by name): the same object when none hold. */
  site: Site;
  registered: ReadonlySet<ServerName>;
}

/**
 * The site with every registration that holds at `nowMs`. One server claimed by two peers (two
 * grants for one name) goes to the lowest peer id, so every node picks the same one.
 */
export function withRegistered(site: Site, registrations: ReadonlyMap<PeerIdText, Registration>, a: Authority, nowMs: number): RegisteredSite {
  const byServer = new Map<ServerName, Registration>();
  for (const [peer, r] of [...registrations].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (!byServer.has(r.server) && !registrationRefusal(r, peer, a, site, nowMs)) byServer.set(r.server, r);
  }
  if (!byServer.size) return { site, registered: new Set() };
  const added = [...byServer.values()]
    .sort((x, y) => x.server.localeCompare(y.server))
    .map((r) => ({ name: r.server, area: r.area, addresses: [...r.addresses] }));
  return { site: { ...site, servers: [...site.servers, ...added] }, registered: new Set(byServer.keys()) };
}

/** A text that changes exactly when the registered servers (names, areas, addresses) do. */
export function registeredKey(r: RegisteredSite): string {
  return r.site.servers
    .filter((s) => r.registered.has(s.name))
    .map((s) => `${s.name}@${s.area}=${s.addresses.join(",")}`)
    .join(" ");
}
