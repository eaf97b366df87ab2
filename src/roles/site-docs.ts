// The site document in force on this node: its own file's [site] (version 0 unless it says
// otherwise) until a newer document signed by the operator key arrives. A newer one is
// validated against this node's whole config (the same validators as at start), persisted,
// then adopted; a node that hears a peer behind re-sends the document it runs, so a node that
// was down during a change catches up. A node that holds a newer document but cannot run it
// (say it drops the node's own server) says so in its heartbeats, and is not sent it again.
// Judging is pure (authority/site-document.ts); this holds the state and the state file.
import { siteDocumentProblem, siteOrder } from "../authority/site-document.ts";
import { formatErrors, configWithSite } from "../config/load.ts";
import type { NodeConfig } from "../config/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/log.ts";
import type { SiteDocument, SiteDocumentBody } from "../core/types.ts";
import { decodeSiteDocument } from "../net/messages.ts";
import type { StateStore } from "../state/store.ts";

const FILE = "site-document.json";
/** A node behind is sent the document at most this often, however many heartbeats say so. */
const RESEND_EVERY_MS = 1000;

export interface SiteDocsComponents {
  store: StateStore;
  clock: Clock;
  log: Logger;
  /** Gossips a document (the node's publish on the site topic). */
  publish: (d: SiteDocument) => void;
}

export class SiteDocs {
  private current: SiteDocumentBody;
  private document: SiteDocument | undefined;
  private config: NodeConfig;
  private trusted: ReadonlySet<string>;
  private readonly adoptListeners: ((config: NodeConfig) => void)[] = [];
  private lastResentMs = -Infinity;
  /** The last document that did not fit this node: peers re-send it while this node stays behind,
   * so it is refused again without validating or logging it again. */
  private unfit: SiteDocument | undefined;

  /** Starts from the node's own config, or from the saved document when that is newer and fits. */
  constructor(
    own: NodeConfig,
    private readonly c: SiteDocsComponents,
  ) {
    this.config = own;
    this.trusted = new Set(own.node.operatorKeys);
    this.current = { version: own.site.version, site: own.siteTable };
    const saved = decodeSiteDocument(c.store.readJson(FILE));
    if (!saved.ok) return;
    const d = saved.value;
    if (siteDocumentProblem(d, this.trusted) || siteOrder(this.current, d) !== "newer") return;
    const loaded = configWithSite(own, d.site);
    if (!loaded.ok) {
      c.log.warn("the saved site document no longer fits this node's config; running its own file's", { version: d.version });
      return;
    }
    this.take(d, loaded.config);
    c.log.info("running the saved site document", { version: d.version });
  }

  /** The config the node runs: its own file with the site document in force. */
  get running(): NodeConfig {
    return this.config;
  }

  get version(): number {
    return this.current.version;
  }

  /** The document in force: signed when one was adopted; the node's own [site] otherwise. */
  show(): { version: number; site: Readonly<Record<string, unknown>>; key?: string } {
    return { ...this.current, ...(this.document && { key: this.document.key }) };
  }

  /** The operator keys changed (SIGHUP): documents are judged by these from now on; the one in
   * force stays (it was signed by a key trusted when it was adopted). */
  trust(keys: readonly string[]): void {
    this.trusted = new Set(keys);
  }

  onAdopt(l: (config: NodeConfig) => void): void {
    this.adoptListeners.push(l);
  }

  /** The newest document this node was given but cannot run (it does not fit its config), when newer than the one in force. */
  get unfitVersion(): number | undefined {
    return this.unfit && this.unfit.version > this.current.version ? this.unfit.version : undefined;
  }

  /** Why a document is refused, judged without changing anything; undefined: it may be offered. */
  judge(d: SiteDocument): string | undefined {
    if (!this.trusted.size) return "site-documents-need-operator-keys";
    const problem = siteDocumentProblem(d, this.trusted);
    if (problem) return problem;
    const order = siteOrder(this.current, d);
    if (order === "conflict") return "site-version-conflict";
    return order === "older" ? "site-version-older" : undefined;
  }

  /** Adopts a document when it is newer and fits this node (the reason it was refused otherwise);
   * one handed over by `walrus site push` is gossiped from here, one from gossip travels on by itself. */
  offer(d: SiteDocument, o: { publish: boolean }): string | undefined {
    const refused = this.judge(d);
    if (refused) return refused;
    if (siteOrder(this.current, d) !== "newer") return undefined;
    if (this.unfit && this.unfit.version === d.version && this.unfit.sig === d.sig) return "site-document-invalid";
    const loaded = configWithSite(this.config, d.site);
    if (!loaded.ok) {
      this.unfit = d;
      this.c.log.warn("site document refused: it does not fit this node's config", { version: d.version, errors: formatErrors(loaded.errors) });
      return "site-document-invalid";
    }
    this.c.store.writeJson(FILE, d);
    this.take(d, loaded.config);
    this.c.log.info("site document adopted", { version: d.version, areas: loaded.config.site.areas.length, servers: loaded.config.site.servers.length });
    for (const l of this.adoptListeners) l(loaded.config);
    if (o.publish) this.c.publish(d);
    return undefined;
  }

  /** A peer announced the version it runs (and the newest it holds but cannot run): one behind is
   * sent ours, unless it already has it. */
  heard(version: number, unfitVersion = -1): void {
    if (!this.document || version >= this.current.version || unfitVersion >= this.current.version) return;
    const now = this.c.clock();
    if (now - this.lastResentMs < RESEND_EVERY_MS) return;
    this.lastResentMs = now;
    this.c.publish(this.document);
  }

  private take(d: SiteDocument, config: NodeConfig): void {
    this.document = d;
    this.current = { version: d.version, site: d.site };
    this.config = config;
  }
}
