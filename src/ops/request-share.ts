// How the requests are shared (NCSA's finding: round-robin answers do not spread requests
// evenly). Pure: rates in, shares and imbalance out. A server without a request counter (the
// http/tcp probes), or whose counter was just reset, has rate null: unknown, never zero.

export interface ServerRate {
  name: string;
  cluster: string;
  /** Requests per second, or null when unknown. */
  rps: number | null;
  /** In the answers (functioning, not drained): only these count toward an even split. */
  inService: boolean;
}

export interface ServerShare {
  name: string;
  cluster: string;
  rps: number | null;
  /** Fraction of its cluster's known requests; null when unknown or the cluster had none. */
  clusterShare: number | null;
  siteShare: number | null;
}

export interface ClusterShare {
  cluster: string;
  /** Sum over the servers with a counter; null when none of them has one. */
  rps: number | null;
  siteShare: number | null;
  /** Servers in service whose rate is known: the even split is 1 / this. */
  counted: number;
  /** Largest in-service share against an even split (1 = even; 2 = twice its due); null below two counted servers or without requests. */
  imbalance: number | null;
  /** The server holding the largest share. */
  top: string | null;
}

export interface RequestShares {
  servers: ServerShare[];
  clusters: ClusterShare[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Shares of the known requests, per cluster (in the order servers first name them) and of the site. */
export function requestShares(rates: readonly ServerRate[]): RequestShares {
  const known = (xs: readonly ServerRate[]) => xs.flatMap((r) => (r.rps === null ? [] : [r.rps]));
  const siteTotal = sum(known(rates));
  const byCluster = new Map<string, ServerRate[]>();
  for (const r of rates) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
  const ratio = (part: number | null, whole: number) => (part === null || whole <= 0 ? null : part / whole);

  const clusters: ClusterShare[] = [...byCluster].map(([cluster, rs]) => {
    const k = known(rs);
    const total = sum(k);
    const counted = rs.filter((r) => r.inService && r.rps !== null);
    const top = counted.reduce<ServerRate | null>((best, r) => (best === null || (r.rps ?? 0) > (best.rps ?? 0) ? r : best), null);
    const imbalance = counted.length >= 2 && total > 0 && top ? ((top.rps ?? 0) / total) * counted.length : null;
    return {
      cluster,
      rps: k.length ? total : null,
      siteShare: k.length ? ratio(total, siteTotal) : null,
      counted: counted.length,
      imbalance,
      top: top?.name ?? null,
    };
  });
  const clusterTotal = new Map(clusters.map((c) => [c.cluster, c.rps ?? 0]));
  const servers = rates.map((r) => ({
    name: r.name,
    cluster: r.cluster,
    rps: r.rps,
    clusterShare: ratio(r.rps, clusterTotal.get(r.cluster) ?? 0),
    siteShare: ratio(r.rps, siteTotal),
  }));
  return { servers, clusters };
}
