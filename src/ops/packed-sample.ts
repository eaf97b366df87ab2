// A history sample as the history keeps it: one typed array of numbers and name lists shared
// with the sample before, instead of an object per server and per area. A node keeps half an
// hour of samples, one each report interval; as objects that was 54 a sample at 48 servers,
// about 100,000 live objects that every full collection walked. Packed and unpacked exactly:
// null is NaN (a load or rate is never NaN), a state is its place in STATES.
import type { ServerState } from "../core/types.ts";
import type { HistorySample } from "./history-sample.ts";

const STATES: readonly ServerState[] = ["up", "tempfail", "bypass", "panic", "drained", "dead", "unknown"];
const CODE = new Map(STATES.map((s, i) => [s, i]));
/** Numbers kept per server: load, rps, state code × 2 + in service. */
const PER_SERVER = 3;

export interface PackedSample {
  atMs: number;
  servers: readonly string[];
  areas: readonly string[];
  /** Each area's cluster, in the order of `areas`. */
  clusters: readonly string[];
  /** PER_SERVER numbers for each server, then each area's qps. */
  numbers: Float64Array;
}

/** `keep`, when it holds the same names in the same order (the common case: nothing changed). */
function shared(keep: readonly string[] | undefined, names: readonly string[]): readonly string[] {
  return keep && keep.length === names.length && keep.every((n, i) => n === names[i]) ? keep : names;
}

const num = (x: number | null) => (x === null ? NaN : x);
const orNull = (x: number) => (Number.isNaN(x) ? null : x);

export function pack(s: HistorySample, before?: PackedSample): PackedSample {
  const servers = shared(before?.servers, Object.keys(s.servers));
  const areas = shared(before?.areas, Object.keys(s.areas));
  const numbers = new Float64Array(servers.length * PER_SERVER + areas.length);
  servers.forEach((name, i) => {
    const p = s.servers[name]!;
    numbers[i * PER_SERVER] = num(p.load);
    numbers[i * PER_SERVER + 1] = num(p.rps);
    numbers[i * PER_SERVER + 2] = CODE.get(p.state)! * 2 + (p.inService ? 1 : 0);
  });
  const base = servers.length * PER_SERVER;
  areas.forEach((name, i) => (numbers[base + i] = num(s.areas[name]!.qps)));
  const clusters = shared(
    before?.clusters,
    areas.map((name) => s.areas[name]!.cluster),
  );
  return { atMs: s.atMs, servers, areas, clusters, numbers };
}

export function unpack(p: PackedSample): HistorySample {
  const { numbers } = p;
  const servers: HistorySample["servers"] = {};
  p.servers.forEach((name, i) => {
    const code = numbers[i * PER_SERVER + 2]!;
    servers[name] = {
      load: orNull(numbers[i * PER_SERVER]!),
      state: STATES[Math.floor(code / 2)]!,
      rps: orNull(numbers[i * PER_SERVER + 1]!),
      inService: code % 2 === 1,
    };
  });
  const base = p.servers.length * PER_SERVER;
  const areas: HistorySample["areas"] = {};
  p.areas.forEach((name, i) => (areas[name] = { cluster: p.clusters[i]!, qps: orNull(numbers[base + i]!) }));
  return { atMs: p.atMs, servers, areas };
}
