// Defaults of the nameserver's limits, in a module of their own: the config parser (the edge)
// names them without loading the server, and `walrus status` starts without the DNS code.

/** What we advertise and accept over UDP by default: the DNS flag day 2020 size, clear of IP fragmentation. */
export const UDP_EDNS_LIMIT = 1232;

/** The thesis' §8.2 figure is 20–30 servers; 32 A records (≈ 560 bytes) fit a 1232-byte datagram with room. */
export const DEFAULT_MAX_ANSWER_ADDRESSES = 32;

/** RFC 7766 §6.2.3 suggests "in the order of seconds"; ten covers a resolver's pipelined burst. */
export const TCP_IDLE_MS_DEFAULT = 10_000;
export const TCP_MAX_CONNECTIONS_DEFAULT = 256;
