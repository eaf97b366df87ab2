// js-yamux answers every data frame it reads with a window update (a 12-byte frame that noise
// turns into a 30-byte write): an area node wrote one for each gossip message it
// received, 133 a second of its 210 socket writes at 24 web servers, and each woke the sender to
// decrypt it. Go's yamux, the reference, updates the window only once half of it is used (or a
// flag must go out); so does this. A stream's window is 256 KiB: a sender never waits on it for
// gossip-sized messages, and one that fills it gets its update at the halfway mark.
import { YamuxStream } from "@chainsafe/libp2p-yamux/stream";

/** The yamux frame type of a window update (its spec: 0x1). */
const WINDOW_UPDATE = 1;

/** The private state of js-yamux's stream that sendWindowUpdate reads and writes. */
interface StreamWindow {
  _id: number;
  recvWindow: number;
  recvWindowCapacity: number;
  epochStart: number;
  config: { maxStreamWindowSize: number };
  getRTT(): number;
  getSendFlags(): number;
  sendFrame(header: { type: number; flag: number; streamID: number; length: number }): void;
}

function sendWindowUpdate(this: StreamWindow): void {
  // First: the flags move the stream's state on (SYN sent, ACK sent), as in the original.
  const flags = this.getSendFlags();
  if (flags === 0 && this.recvWindow - this.recvWindowCapacity < this.recvWindow / 2) return;
  const now = Date.now();
  const rtt = this.getRTT();
  // Half a window used within four round trips: the window is too small for this stream; double it.
  if (flags === 0 && rtt > -1 && now - this.epochStart < rtt * 4) this.recvWindow = Math.min(this.recvWindow * 2, this.config.maxStreamWindowSize);
  const delta = this.recvWindow - this.recvWindowCapacity;
  this.recvWindowCapacity = this.recvWindow;
  this.epochStart = now;
  this.sendFrame({ type: WINDOW_UPDATE, flag: flags, streamID: this._id, length: delta });
}

let patched = false;

/** Makes every yamux stream of this process update windows at half use. Idempotent. */
export function updateWindowsAtHalf(): void {
  if (patched) return;
  patched = true;
  (YamuxStream.prototype as unknown as { sendWindowUpdate: () => void }).sendWindowUpdate = sendWindowUpdate;
}
