// Sends an uneven mix of real requests to the demo's web servers (loopback only, bounded), so
// the status page and `walrus status` show how the requests are shared.
//   bun scripts/demo-traffic.ts [--rate 40] [--seconds 120] URL=WEIGHT [URL=WEIGHT ...]
//   e.g. http://127.0.0.11:47200/=9 http://127.0.0.12:47200/=1
import { parseArgs } from "node:util";
import { sendMix } from "./lib/traffic.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: "string", default: "40" }, seconds: { type: "string", default: "120" } },
});
const targets = positionals.map((p) => {
  const at = p.lastIndexOf("=");
  return at < 0 ? { url: p, weight: 1 } : { url: p.slice(0, at), weight: Number(p.slice(at + 1)) };
});
if (!targets.length) {
  console.error("usage: bun scripts/demo-traffic.ts [--rate 40] [--seconds 120] URL=WEIGHT [URL=WEIGHT ...]");
  process.exit(2);
}
try {
  const answered = await sendMix(targets, Number(values.rate), Number(values.seconds));
  targets.forEach((t, i) => console.log(`${t.url}: ${answered[i]} requests answered`));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
