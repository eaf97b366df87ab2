// A UDP relay in front of a signed walrus nameserver for the DNSSEC test: what it does to the
// replies is read from a mode file on every reply, so one test can show that validating
// resolvers accept the zone as served ("pass") and refuse it once a signature is broken ("flip":
// one bit of every RRSIG's signature changed) or expired ("expire": every RRset signed again
// with the zone's own key, but with a validity that ended a day ago).
//
//   bun dnssec-tamper.ts --listen 10.0.0.5:53 --upstream 127.0.0.1:5300 --mode m.txt --keys dir --zone evil.test

import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { decode, encode, type Answer, type Packet } from "dns-packet";
import { loadKeyDir } from "../../src/dnssec/key-dir.ts";
import { isActive } from "../../src/dnssec/key.ts";
import { signRRset } from "../../src/dnssec/rrsig.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set((process.argv[i] ?? "").replace(/^--/, ""), process.argv[i + 1] ?? "");
const [host, port] = (args.get("listen") ?? "").split(":");
const [upHost, upPort] = (args.get("upstream") ?? "").split(":");
const modeFile = args.get("mode") ?? "";
const zone = args.get("zone") ?? "";
const DAY = 86_400;

function tamper(reply: Buffer): Buffer {
  const mode = readFileSync(modeFile, "utf8").trim();
  if (mode === "pass") return reply;
  const p = decode(reply) as Packet;
  const now = Math.floor(Date.now() / 1000);
  const key = loadKeyDir(args.get("keys") ?? "", zone).find((k) => isActive(k, now));
  const section = (rrs: Answer[] | undefined): Answer[] => {
    if (!rrs) return [];
    if (mode === "flip")
      return rrs.map((r) => {
        if (r.type !== "RRSIG") return r;
        const sig = Buffer.from(r.data.signature);
        sig[sig.length - 1]! ^= 1;
        return { ...r, data: { ...r.data, signature: sig } };
      });
    // expire: the same RRsets, signed by the zone's key with a validity already over.
    const data = rrs.filter((r) => r.type !== "RRSIG" && r.type !== "OPT");
    const sets = new Map<string, Answer[]>();
    for (const r of data) sets.set(`${r.name}/${r.type}`, [...(sets.get(`${r.name}/${r.type}`) ?? []), r]);
    return [...sets.values()].flatMap((set) => [...set, signRRset(set, key!, { inception: now - 2 * DAY, expiration: now - DAY })]);
  };
  return encode({
    ...p,
    answers: section(p.answers),
    authorities: section(p.authorities),
    additionals: [...section(p.additionals), ...(p.additionals ?? []).filter((r) => r.type === "OPT")],
  });
}

const server = dgram.createSocket("udp4");
server.on("message", (query, client) => {
  const up = dgram.createSocket("udp4");
  const timer = setTimeout(() => up.close(), 3000);
  up.on("message", (reply) => {
    clearTimeout(timer);
    up.close();
    server.send(tamper(reply), client.port, client.address);
  });
  up.send(query, Number(upPort), upHost);
});
server.bind(Number(port), host, () => process.stdout.write(`relaying ${host}:${port} to ${upHost}:${upPort}\n`));
