// Resource-record vocabulary shared by the zone, the templates and the answerer.

import type { Answer } from "dns-packet";

/** Numeric RR types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 4034, RFC 1995, RFC 8482). */
export const RRTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

/** All records of one type at one name, in dns-packet's form; always sent or dropped whole. */
export type RRset = readonly Answer[];
/** The RRsets at one name by numeric type; the first is what ANY gets (RFC 8482). */
export type ZoneNode = ReadonlyMap<number, RRset>;
