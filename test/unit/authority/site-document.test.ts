import { describe, expect, test } from "bun:test";
import { newOperatorKey, operatorSigner } from "../../../src/authority/operator-key.ts";
import { signSiteDocument, siteDocumentProblem, siteOrder } from "../../../src/authority/site-document.ts";

const op = operatorSigner(newOperatorKey().privateKeyPem);
const other = operatorSigner(newOperatorKey().privateKeyPem);
const trusted = new Set([op.publicKey]);
const v1 = { version: 1, site: { zone: "example.test", names: ["www"], servers: { "web-1": { area: "east", addresses: ["192.0.2.1"] } } } };

describe("site documents", () => {
  test("a document signed by a trusted key holds, whatever order its keys were built in", () => {
    const d = signSiteDocument(v1, op);
    expect(siteDocumentProblem(d, trusted)).toBeUndefined();
    const reordered = { ...d, site: { servers: v1.site.servers, names: ["www"], zone: "example.test" } };
    expect(siteDocumentProblem(reordered, trusted)).toBeUndefined();
  });

  test.each([
    ["another key", () => signSiteDocument(v1, other), "site-unknown-key"],
    ["a changed server", () => ({ ...signSiteDocument(v1, op), site: { ...v1.site, servers: {} } }), "site-bad-signature"],
    ["a raised version", () => ({ ...signSiteDocument(v1, op), version: 9 }), "site-bad-signature"],
    ["a trusted key's name on another key's signature", () => ({ ...signSiteDocument(v1, other), key: op.publicKey }), "site-bad-signature"],
  ])("refused: %s", (_what, make, reason) => {
    expect(siteDocumentProblem(make(), trusted)).toBe(reason);
  });

  test("order: a higher version is newer, a lower older, the same version with other contents a conflict", () => {
    expect(siteOrder(v1, { ...v1, version: 2 })).toBe("newer");
    expect(siteOrder(v1, { ...v1, version: 0 })).toBe("older");
    expect(siteOrder(v1, { version: 1, site: { names: ["www"], servers: v1.site.servers, zone: "example.test" } })).toBe("same");
    expect(siteOrder(v1, { version: 1, site: { ...v1.site, names: ["www", "shop"] } })).toBe("conflict");
  });
});
