// UPDATEs that reach a DNS worker over UDP are the node's to judge and commit (its state
// directory, its gossip): the worker hands each one over IPC and sends back the node's reply
// from the socket the query came in on. Bytes travel as base64 (the IPC channel speaks JSON).

/** How long a worker waits for the node's verdict: longer than a commit's disk write and gossip. */
const REPLY_TIMEOUT_MS = 10_000;

export type UpdateToNode = { type: "update"; id: number; query: string };
export type UpdateFromNode = { type: "update-reply"; id: number; reply: string };

export const toBase64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
export const fromBase64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/** The worker's side: `relay` is the update function its sockets call; `settle` takes the node's replies. */
export function updateRelay(send: (m: UpdateToNode) => void) {
  let next = 0;
  const waiting = new Map<number, { resolve: (r: Uint8Array) => void; timer: ReturnType<typeof setTimeout> }>();
  return {
    relay: (query: Uint8Array) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the node gave no verdict on an UPDATE within ${REPLY_TIMEOUT_MS} ms`));
        }, REPLY_TIMEOUT_MS);
        waiting.set(id, { resolve, timer });
        send({ type: "update", id, query: toBase64(query) });
      }),
    settle(m: UpdateFromNode) {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      clearTimeout(w.timer);
      w.resolve(fromBase64(m.reply));
    },
  };
}
