// Finding dead connections without paying for live ones. libp2p's connection monitor opened a
// ping stream (stream open, protocol negotiation, 32 bytes each way, close: about ten frames)
// on every connection every 5 s, from both ends: half of a reporter's traffic, and a stream
// for every node of the site every 5 s on an area node. Here a connection is probed only when
// nothing has come over it for QUIET_MS, with a yamux ping (one 12-byte frame each way); no
// answer within ANSWER_MS and the connection is aborted, so the dead connection a partition
// leaves is gone within seconds and the heal redials at once. Area nodes hear every node's
// heartbeats, so only a reporter's connections to them, which carry nothing back, are probed.
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Connection } from "@libp2p/interface";

/** Probe a connection once nothing came over it for this long. */
const QUIET_MS = 3000;
/** How long a probed peer has to answer before its connection is aborted. */
const ANSWER_MS = 2000;
/** How often connections are looked at. */
export const PROBE_EVERY_MS = 1000;

/** What the probe needs of js-yamux's muxer (it calls handleFrame for each frame read; ping() resolves at the peer's answer). */
interface Muxer {
  handleFrame: (...args: unknown[]) => Promise<void>;
  _newStream: (...args: unknown[]) => object;
  ping(): Promise<number>;
}

interface Watched {
  muxer: Muxer;
  heardAtMs: number;
  probing: boolean;
}

export interface QuietProbe {
  /** The stream muxer to give libp2p: yamux, watched. */
  muxer: ReturnType<typeof yamux>;
  /** Called on libp2p's connection:open, which follows its muxer's creation without a pause:
   * ties the connection to that muxer. */
  adopt(conn: Connection): void;
  /** Probes the quiet ones among these connections; aborts those that did not answer. */
  look(connections: readonly Connection[], onDead: (conn: Connection, err: Error) => void): void;
}

export function quietProbe(o: { quietMs: number; answerMs: number } = { quietMs: QUIET_MS, answerMs: ANSWER_MS }): QuietProbe {
  // libp2p does not say which muxer a connection has: the one made last when it opens, and
  // failing that, the one its streams came from.
  const muxerOf = new WeakMap<object, Watched>();
  let lastMade: Watched | undefined;
  // Its own keep-alive (a ping every 30 s that never times out) would be a second, weaker probe.
  const base = yamux({ enableKeepAlive: false });
  const muxer: ReturnType<typeof yamux> = (components) => {
    const factory = base(components);
    const create = factory.createStreamMuxer.bind(factory);
    factory.createStreamMuxer = (init) => {
      const created = create(init);
      const m = created as unknown as Muxer;
      const w: Watched = { muxer: m, heardAtMs: Date.now(), probing: false };
      lastMade = w;
      // Every frame read, a ping's answer included, is the peer heard.
      const handleFrame = m.handleFrame.bind(m);
      m.handleFrame = (...args) => {
        w.heardAtMs = Date.now();
        return handleFrame(...args);
      };
      const newStream = m._newStream.bind(m);
      m._newStream = (...args) => {
        const stream = newStream(...args);
        muxerOf.set(stream, w);
        return stream;
      };
      return created;
    };
    return factory;
  };

  return {
    muxer,
    adopt(conn) {
      if (lastMade) muxerOf.set(conn, lastMade);
      lastMade = undefined;
    },
    look(connections, onDead) {
      const now = Date.now();
      for (const conn of connections) {
        if (conn.status !== "open") continue;
        let w = muxerOf.get(conn);
        if (!w) for (const s of conn.streams) if ((w = muxerOf.get(s))) break;
        // Not adopted and no stream yet (gossipsub opens one on every connection at once): next time.
        if (!w || w.probing || now - w.heardAtMs < o.quietMs) continue;
        const watched = w;
        watched.probing = true;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), o.answerMs)));
        void Promise.race([watched.muxer.ping().then(() => true), late])
          .catch(() => true) // a muxer closed meanwhile: its connection is going anyway
          .then((answered) => {
            clearTimeout(timer);
            watched.probing = false;
            if (!answered) onDead(conn, new Error(`no answer to a ping within ${o.answerMs} ms`));
          });
      }
    },
  };
}
