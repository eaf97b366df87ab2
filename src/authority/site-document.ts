// The site document: the [site] table every node shares, with a version, signed by the operator
// key. Nodes adopt the highest version whose signature holds; two documents with one version
// and different contents are a mistake (or a forgery by a stolen key) and are refused.
import type { SiteDocument, SiteDocumentBody } from "../core/types.ts";
import { canonicalJson, signedBytes } from "./canonical.ts";
import { verifyOperator, type OperatorSigner } from "./operator-key.ts";

export function signSiteDocument(body: SiteDocumentBody, signer: OperatorSigner): SiteDocument {
  return { version: body.version, site: body.site, key: signer.publicKey, sig: signer.sign(signedBytes("site", { version: body.version, site: body.site })) };
}

/** Why the document's signature does not hold for these operator keys, or undefined. */
export function siteDocumentProblem(d: SiteDocument, trusted: ReadonlySet<string>): string | undefined {
  if (!trusted.has(d.key)) return "site-unknown-key";
  if (!verifyOperator(d.key, signedBytes("site", { version: d.version, site: d.site }), d.sig)) return "site-bad-signature";
  return undefined;
}

export type SiteOrder = "newer" | "same" | "older" | "conflict";

/** Where `incoming` stands against the document in force. */
export function siteOrder(current: SiteDocumentBody, incoming: SiteDocumentBody): SiteOrder {
  if (incoming.version > current.version) return "newer";
  if (incoming.version < current.version) return "older";
  return canonicalJson(incoming.site) === canonicalJson(current.site) ? "same" : "conflict";
}
