// A userspace UDP delay relay for namespace tests (this kernel has no netem). Two halves, each in
// its own network namespace, joined by a Unix socket: each half owns, as local addresses, the
// addresses of the hosts on the *other* side, receives what its side sends them, and the other
// half sends it on from the very same source address and port, after half the round trip the
// delay file gives for that pair (held by the receiving half: one way = half the round trip). Addresses are kept end to end, so a nameserver sees the
// resolver's own address and a probe to the resolver's port 53 takes the delayed path too.
//
//   bun delay-relay.ts --link /tmp/x.sock --serve --listen 10.0.2.1:53,10.0.2.2:53 --delays d.json
//   bun delay-relay.ts --link /tmp/x.sock --listen 10.0.1.53:53 --delays d.json
//
// d.json: {"10.0.1.53 10.0.2.1": 5, …}: round trip in ms per address pair (either order); a
// pair not listed gets none. SIGHUP reads it again, so a test can move a resolver's nearest area.

import dgram from "node:dgram";
import { readFileSync, rmSync } from "node:fs";
import net from "node:net";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i] ?? "";
  if (a === "--serve") args.set("serve", "1");
  else args.set(a.replace(/^--/, ""), process.argv[++i] ?? "");
}
const linkPath = args.get("link") ?? "";
const delaysFile = args.get("delays") ?? "";

/** Sockets bound for peers' ephemeral ports; idle ones close, so random source ports do not pile up. */
const IDLE_CLOSE_MS = 30_000;
const SOCKETS_MAX = 4096;

let rtt = new Map<string, number>();
const loadDelays = () => {
  const o = JSON.parse(readFileSync(delaysFile, "utf8")) as Record<string, number>;
  rtt = new Map();
  for (const [pair, ms] of Object.entries(o)) {
    const [a, b] = pair.split(" ");
    rtt.set(`${a} ${b}`, ms).set(`${b} ${a}`, ms);
  }
};
loadDelays();
process.on("SIGHUP", () => {
  loadDelays();
  console.log("delays reloaded");
});

interface Endpoint {
  socket: dgram.Socket;
  usedAtMs: number;
  fixed: boolean;
}
const sockets = new Map<string, Endpoint>();
let link: net.Socket | undefined;

/** A datagram from our side to a host of the other side: held for half the round trip, then sent across. */
function onDatagram(msg: Buffer, from: dgram.RemoteInfo, to: { address: string; port: number }) {
  const header = Buffer.from(JSON.stringify({ sa: from.address, sp: from.port, da: to.address, dp: to.port }));
  const frame = Buffer.alloc(8 + header.byteLength + msg.byteLength);
  frame.writeUInt32BE(4 + header.byteLength + msg.byteLength, 0);
  frame.writeUInt32BE(header.byteLength, 4);
  header.copy(frame, 8);
  msg.copy(frame, 8 + header.byteLength);
  const oneWay = (rtt.get(`${from.address} ${to.address}`) ?? 0) / 2;
  setTimeout(() => link?.write(frame), oneWay);
}

function bind(address: string, port: number, fixed: boolean): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: "udp4" });
    const e: Endpoint = { socket, usedAtMs: Date.now(), fixed };
    socket.on("message", (msg, from) => {
      e.usedAtMs = Date.now();
      onDatagram(msg, from, { address, port });
    });
    socket.once("error", reject);
    socket.bind(port, address, () => {
      socket.on("error", (err) => console.error(`relay socket ${address}:${port}: ${err.message}`));
      sockets.set(`${address}:${port}`, e);
      resolve(e);
    });
  });
}

/** A frame from the other half (already delayed): sent on from the original source address and port. */
async function onFrame(frame: Buffer) {
  const headerLength = frame.readUInt32BE(0);
  const h = JSON.parse(frame.subarray(4, 4 + headerLength).toString()) as { sa: string; sp: number; da: string; dp: number };
  const payload = frame.subarray(4 + headerLength);
  let e = sockets.get(`${h.sa}:${h.sp}`);
  if (!e) {
    if (sockets.size >= SOCKETS_MAX) closeIdle(0);
    e = await bind(h.sa, h.sp, false).catch((err: Error) => void console.error(`relay bind ${h.sa}:${h.sp}: ${err.message}`));
    if (!e) return;
  }
  e.usedAtMs = Date.now();
  e.socket.send(payload, h.dp, h.da);
}

function closeIdle(idleMs: number) {
  const now = Date.now();
  for (const [key, e] of sockets) {
    if (!e.fixed && now - e.usedAtMs >= idleMs) {
      e.socket.close();
      sockets.delete(key);
    }
  }
}
setInterval(() => closeIdle(IDLE_CLOSE_MS), 5000);

function attach(s: net.Socket) {
  link = s;
  s.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  s.on("data", (chunk: Buffer) => {
    pending = pending.byteLength ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.byteLength >= 4 && pending.byteLength >= 4 + pending.readUInt32BE(0)) {
      const end = 4 + pending.readUInt32BE(0);
      void onFrame(pending.subarray(4, end));
      pending = pending.subarray(end);
    }
  });
  s.on("close", () => process.exit(0));
}

for (const hp of (args.get("listen") ?? "").split(",").filter(Boolean)) {
  const at = hp.lastIndexOf(":");
  await bind(hp.slice(0, at), Number(hp.slice(at + 1)), true);
}
if (args.has("serve")) {
  rmSync(linkPath, { force: true });
  const server = net.createServer((s) => attach(s));
  server.listen(linkPath, () => console.log("relay ready"));
} else {
  for (let attempt = 0; ; attempt++) {
    const s = await new Promise<net.Socket | undefined>((resolve) => {
      const c = net.createConnection(linkPath, () => resolve(c));
      c.once("error", () => resolve(undefined));
    });
    if (s) {
      attach(s);
      console.log("relay ready");
      break;
    }
    if (attempt > 200) throw new Error(`no relay half at ${linkPath}`);
    await Bun.sleep(50);
  }
}
