import { describe, expect, test } from "bun:test";
import { areaName, peerIdText, serverName } from "../../../src/core/types.ts";
import type { Topic } from "../../../src/net/bus.ts";
import { decode, encode, LIMITS, MESSAGE_VERSION, topicOf, type Message } from "../../../src/net/messages.ts";
import { seededRandom } from "../../../src/sim/prng.ts";

const SITE = "d1g35t";

const REPORT: Message = {
  type: "report",
  site: SITE,
  report: {
    server: serverName("web-east-1"),
    seq: 42,
    atMs: 1_700_000_000_123,
    status: "ok",
    host: {
      durationMs: 1000,
      cpus: 4,
      cpuUser: 0.25,
      cpuSystem: 0.05,
      cpuIdle: 0.7,
      memTotalBytes: 8 * 2 ** 30,
      memFreeBytes: 3 * 2 ** 30,
      pagedOutBytes: 0,
      swapFreeBytes: 2 ** 30,
      runnable: 3,
      blocked: 1,
    },
    web: { hits: 1_480_533, busyWorkers: 17, maxWorkers: 1024 },
    release: "9c1e5d0a7b3f2a11",
  },
};

const HEARTBEAT: Message = {
  type: "heartbeat",
  site: SITE,
  node: "east-1",
  roles: ["reporter", "controller", "nameserver"],
  priority: 10,
  epoch: 3,
  drains: [
    { server: serverName("web-east-2"), drained: true, reason: "kernel upgrade", atMs: 1_700_000_000_000, by: "alice@east-1" },
    { server: serverName("web-west-1"), drained: false, reason: "", atMs: 1_699_999_000_000, by: "" },
  ],
  atMs: 1_700_000_000_500,
  release: { id: "9c1e5d0a7b3f2a11", previous: "3f2a7c9e0d1b4c55", sinceMs: 1_700_000_000_000 },
};

const ASSIGNMENT: Message = {
  type: "assignment",
  site: SITE,
  assignment: {
    master: peerIdText("12D3KooWMaster"),
    epoch: 3,
    seq: 7,
    atMs: 1_700_000_001_000,
    areas: [
      {
        area: areaName("east"),
        cluster: areaName("east"),
        servers: [serverName("web-east-1"), serverName("web-east-2")],
        reason: "home",
        detail: "web-east-1 at 0.31",
      },
      { area: areaName("west"), cluster: areaName("east"), servers: [serverName("web-east-1")], reason: "availability", detail: "" },
      {
        area: areaName("north"),
        cluster: areaName("north"),
        servers: [serverName("web-north-1")],
        reason: "kept",
        detail: "",
        spill: [
          {
            to: areaName("east"),
            servers: [serverName("web-east-1")],
            fraction: 0.3,
            stepAtMs: 1_700_000_000_000,
            rising: true,
            detail: "north load 0.93 ≥ 0.8, east 0.35",
          },
        ],
      },
    ],
  },
};

const DRAIN: Message = {
  type: "drain",
  site: SITE,
  drain: { server: serverName("web-east-2"), drained: true, reason: "disk swap", atMs: 1_700_000_002_000, by: "bob" },
};

const RTT: Message = {
  type: "rtt",
  site: SITE,
  area: "east",
  atMs: 1_700_000_003_000,
  samples: [
    { prefix: "192.0.2.0/24", address: "192.0.2.53", rttMs: 4.75 },
    { prefix: "2001:db8:1::/48", address: "2001:db8:1:2::53", rttMs: 81 },
  ],
};
/** A valid rtt message whose first sample has one field changed. */
const withSample = (k: string, v: unknown) => json({ ...wire(RTT), samples: [{ ...wire(RTT).samples[0], [k]: v }] });

const VALID: Message[] = [REPORT, HEARTBEAT, ASSIGNMENT, DRAIN, RTT];

const bytes = (text: string) => new TextEncoder().encode(text);
/** The encoded JSON of a message, as a plain object to edit before re-encoding. */
const wire = (m: Message): Record<string, any> => JSON.parse(new TextDecoder().decode(encode(m)));
const json = (o: unknown) => bytes(JSON.stringify(o));
/** The valid assignment with its spilling area's shares replaced. */
const withSpill = (spill: unknown) => {
  const w = wire(ASSIGNMENT);
  w.assignment.areas[2].spill = spill;
  return json(w);
};
const SHARE = { to: "east", servers: ["web-east-1"], fraction: 0.3, stepAtMs: 0, rising: true, detail: "" };
/** A valid report with one edit to its report part. */
const withReport = (change: (r: Record<string, any>) => void) => {
  const w = wire(REPORT);
  change(w.report);
  return json(w);
};
/** A valid assignment with n areas. */
const nAreas = (n: number) => {
  const w = wire(ASSIGNMENT);
  w.assignment.areas = Array.from({ length: n }, (_, i) => ({ area: `a${i}`, cluster: "east", servers: ["web-east-1"], reason: "home", detail: "" }));
  return json(w);
};

describe("encode/decode round trip", () => {
  test.each(VALID.map((m) => [m.type, m] as const))("%s comes back equal on its own topic", (_type, m) => {
    expect(decode(topicOf(m), encode(m))).toEqual({ ok: true, msg: m });
  });

  test("a heartbeat without priority (not a candidate) round trips without one", () => {
    const { priority: _, ...hb } = HEARTBEAT as Extract<Message, { type: "heartbeat" }>;
    const r = decode("heartbeats", encode(hb));
    expect(r).toEqual({ ok: true, msg: hb });
    expect(r.ok && "priority" in r.msg).toBe(false);
  });

  test.each([
    [
      "tempfail with a reason and no figures",
      { server: serverName("web-east-1"), seq: 0, atMs: 0, status: "tempfail" as const, reason: "status page timed out" },
    ],
    ["panic", { server: serverName("web-east-1"), seq: 1, atMs: 5, status: "panic" as const, reason: "apache down" }],
    ["bypass", { server: serverName("web-east-1"), seq: 2, atMs: 5, status: "bypass" as const }],
  ])("a report (%s) round trips", (_what, report) => {
    const m: Message = { type: "report", site: SITE, report };
    expect(decode("reports", encode(m))).toEqual({ ok: true, msg: m });
  });

  test("the wire form carries the version", () => {
    expect(wire(DRAIN).v).toBe(MESSAGE_VERSION);
  });

  test("unknown extra fields are dropped, not kept", () => {
    const r = decode("commands", json({ ...wire(DRAIN), extra: "x", drain: { ...wire(DRAIN).drain, note: 1 } }));
    expect(r).toEqual({ ok: true, msg: DRAIN });
  });
});

describe("decode rejects, with its reason", () => {
  const hostField = (literal: string) =>
    // JSON cannot write NaN or Infinity; 1e999 parses to Infinity, so it is spliced in as text.
    bytes(new TextDecoder().decode(encode(REPORT)).replace('"cpuIdle":0.7', `"cpuIdle":${literal}`));

  // [what, topic, data, reason]
  const rows: [string, Topic, Uint8Array, string][] = [
    ["not JSON", "reports", bytes("{not json"), "not-json"],
    ["empty payload", "reports", new Uint8Array(0), "not-json"],
    ["invalid UTF-8", "reports", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "not-json"],
    ["a JSON number, not an object", "reports", bytes("42"), "schema: message"],
    ["a JSON array, not an object", "reports", bytes("[]"), "schema: message"],
    ["wrong version", "commands", json({ ...wire(DRAIN), v: MESSAGE_VERSION + 1 }), "version"],
    ["no version", "commands", json({ ...wire(DRAIN), v: undefined }), "version"],
    ["version as a string", "commands", json({ ...wire(DRAIN), v: "1" }), "version"],
    ["unknown type", "commands", json({ v: MESSAGE_VERSION, type: "gossip", site: SITE }), "schema: type"],
    ["empty site", "commands", json({ ...wire(DRAIN), site: "" }), "schema: site"],
    ["report on the heartbeats topic", "heartbeats", encode(REPORT), "wrong-topic"],
    ["drain on the assignments topic", "assignments", encode(DRAIN), "wrong-topic"],
    ["assignment on the commands topic", "commands", encode(ASSIGNMENT), "wrong-topic"],
    ["larger than LIMITS.bytes", "reports", new Uint8Array(LIMITS.bytes + 1).fill(0x20), "too-large"],
    ["missing report.seq", "reports", withReport((r) => delete r.seq), "schema: report.seq"],
    ["missing drain.drained", "commands", json({ ...wire(DRAIN), drain: { ...wire(DRAIN).drain, drained: undefined } }), "schema: drain.drained"],
    ["drain.drained as a string", "commands", json({ ...wire(DRAIN), drain: { ...wire(DRAIN).drain, drained: "yes" } }), "schema: drain.drained"],
    ["missing host field", "reports", withReport((r) => delete r.host.blocked), "schema: report.host.blocked"],
    ["negative atMs", "reports", withReport((r) => (r.atMs = -1)), "schema: report.atMs"],
    ["negative busyWorkers", "reports", withReport((r) => (r.web.busyWorkers = -3)), "schema: report.web.busyWorkers"],
    ["negative heartbeat epoch", "heartbeats", json({ ...wire(HEARTBEAT), epoch: -1 }), "schema: epoch"],
    ["fractional seq", "reports", withReport((r) => (r.seq = 1.5)), "schema: report.seq"],
    ["seq beyond the safe integers", "reports", withReport((r) => (r.seq = 2 ** 53)), "schema: report.seq"],
    ["Infinity (1e999) as a number", "reports", hostField("1e999"), "schema: report.host.cpuIdle"],
    ["-Infinity (-1e999) as a number", "reports", hostField("-1e999"), "schema: report.host.cpuIdle"],
    ["null where NaN was serialised", "reports", hostField("null"), "schema: report.host.cpuIdle"],
    ['"NaN" as a string', "reports", hostField('"NaN"'), "schema: report.host.cpuIdle"],
    ["a number as a string", "reports", hostField('"0.7"'), "schema: report.host.cpuIdle"],
    ["release id longer than LIMITS.text", "reports", withReport((r) => (r.release = "r".repeat(LIMITS.text + 1))), "schema: report.release"],
    ["heartbeat release without an id", "heartbeats", json({ ...wire(HEARTBEAT), release: { sinceMs: 1 } }), "schema: release.id"],
    ["heartbeat release with a negative time", "heartbeats", json({ ...wire(HEARTBEAT), release: { id: "r", sinceMs: -1 } }), "schema: release.sinceMs"],
    ["unknown report status", "reports", withReport((r) => (r.status = "degraded")), "schema: report.status"],
    ["unknown heartbeat role", "heartbeats", json({ ...wire(HEARTBEAT), roles: ["reporter", "janitor"] }), "schema: roles[]"],
    ["more than three roles", "heartbeats", json({ ...wire(HEARTBEAT), roles: ["reporter", "controller", "nameserver", "reporter"] }), "schema: roles"],
    ["reason longer than LIMITS.text", "reports", withReport((r) => (r.reason = "x".repeat(LIMITS.text + 1))), "schema: report.reason"],
    ["server name longer than LIMITS.text", "reports", withReport((r) => (r.server = "s".repeat(LIMITS.text + 1))), "schema: report.server"],
    ["more than LIMITS.areas areas", "assignments", nAreas(LIMITS.areas + 1), "schema: assignment.areas"],
    [
      "more than LIMITS.serversPerArea servers in an area",
      "assignments",
      json({
        ...wire(ASSIGNMENT),
        assignment: {
          ...wire(ASSIGNMENT).assignment,
          areas: [{ ...wire(ASSIGNMENT).assignment.areas[0], servers: Array(LIMITS.serversPerArea + 1).fill("w") }],
        },
      }),
      "schema: areas[].servers",
    ],
    ["rtt on the reports topic", "reports", encode(RTT), "wrong-topic"],
    ["rtt prefix not a string", "locations", withSample("prefix", 24), "schema: samples[].prefix"],
    ["rtt address empty", "locations", withSample("address", ""), "schema: samples[].address"],
    ["rtt beyond LIMITS.rttMs", "locations", withSample("rttMs", LIMITS.rttMs + 1), "schema: samples[].rttMs"],
    ["negative rtt", "locations", withSample("rttMs", -1), "schema: samples[].rttMs"],
    [
      "more than LIMITS.rttSamples samples",
      "locations",
      json({ ...wire(RTT), samples: Array(LIMITS.rttSamples + 1).fill(wire(RTT).samples[0]) }),
      "schema: samples",
    ],
    ["spill fraction 0", "assignments", withSpill([{ ...SHARE, fraction: 0 }]), "schema: areas[].spill[].fraction"],
    ["spill fraction 1", "assignments", withSpill([{ ...SHARE, fraction: 1 }]), "schema: areas[].spill[].fraction"],
    [
      "spill fractions adding up to 1",
      "assignments",
      withSpill([
        { ...SHARE, fraction: 0.5 },
        { ...SHARE, to: "west", fraction: 0.5 },
      ]),
      "schema: areas[].spill: fractions add up to 1 or more",
    ],
    ["spill direction not a boolean", "assignments", withSpill([{ ...SHARE, rising: "yes" }]), "schema: areas[].spill[].rising"],
    ["spill without servers", "assignments", withSpill([{ ...SHARE, servers: undefined }]), "schema: areas[].spill[].servers"],
    ["spill not a list", "assignments", withSpill({ to: "east" }), "schema: areas[].spill"],
    [
      "more than LIMITS.sharesPerArea shares",
      "assignments",
      withSpill(Array(LIMITS.sharesPerArea + 1).fill({ ...SHARE, fraction: 0.01 })),
      "schema: areas[].spill",
    ],
    [
      "unknown assignment reason",
      "assignments",
      json({ ...wire(ASSIGNMENT), assignment: { ...wire(ASSIGNMENT).assignment, areas: [{ ...wire(ASSIGNMENT).assignment.areas[0], reason: "whim" }] } }),
      "schema: areas[].reason",
    ],
  ];

  // Reordered so the test name can show the reason (bun stops formatting at the byte array).
  const cases = rows.map(([what, topic, data, reason]) => [what, topic, reason, data] as const);

  test.each(cases)("%s (on %s) → %s", (_what, topic, reason, data) => {
    expect(decode(topic, data)).toEqual({ ok: false, reason });
  });
});

describe("decode accepts what sits exactly at a limit", () => {
  test.each([
    [
      "a message padded to exactly LIMITS.bytes",
      "commands" as Topic,
      (() => {
        const b = encode(DRAIN);
        const padded = new Uint8Array(LIMITS.bytes).fill(0x20);
        padded.set(b);
        return padded;
      })(),
    ],
    ["a reason of exactly LIMITS.text characters", "reports" as Topic, withReport((r) => (r.reason = "x".repeat(LIMITS.text)))],
    ["exactly LIMITS.areas areas", "assignments" as Topic, nAreas(LIMITS.areas)],
    ["a zero atMs", "reports" as Topic, withReport((r) => (r.atMs = 0))],
  ])("%s", (_what, topic, data) => {
    const r = decode(topic, data);
    expect(r.ok ? "ok" : r.reason).toBe("ok");
  });
});

const SEED = Number(process.env.WALRUS_SEED ?? 0x5eed1e55) >>> 0;
const TOPICS: Topic[] = ["reports", "heartbeats", "assignments", "commands", "locations"];
const REASON = /^(too-large|not-json|version|wrong-topic|schema: .+)$/;

/** Decode must not throw; what it accepts must re-encode to itself; what it refuses names a known reason. */
function checkDecode(topic: Topic, data: Uint8Array): "ok" | "rejected" {
  const r = decode(topic, data);
  if (!r.ok) {
    expect(r.reason).toMatch(REASON);
    return "rejected";
  }
  expect(topicOf(r.msg)).toBe(topic);
  const again = decode(topic, encode(r.msg));
  expect(JSON.stringify(again)).toBe(JSON.stringify(r));
  return "ok";
}

describe("decode never throws", () => {
  test(`on 2,000 random byte strings (seed ${SEED}; rerun with WALRUS_SEED=${SEED})`, () => {
    const rnd = seededRandom(SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    for (let i = 0; i < 2000; i++) {
      const data = new Uint8Array(int(300));
      // Half the strings stay in JSON's alphabet so some of them get past JSON.parse.
      const alphabet = rnd() < 0.5 ? undefined : bytes('{}[]":,0123456789.-e truefalsnvtypsiteport');
      for (let j = 0; j < data.length; j++) data[j] = alphabet ? (alphabet[int(alphabet.length)] as number) : int(256);
      expect(() => checkDecode(TOPICS[int(TOPICS.length)] as Topic, data)).not.toThrow();
    }
  });

  test(`on 2,000 random mutations of valid messages (seed ${SEED}; rerun with WALRUS_SEED=${SEED})`, () => {
    const rnd = seededRandom(SEED ^ 0x9e3779b9);
    const int = (n: number) => Math.floor(rnd() * n);
    const tokens = ['"', "{", "}", "[", "]", ",", ":", "-", "0", "1e999", "null", "true", '""', "-1", "1.5", '"x"'].map(bytes);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 2000; i++) {
      const m = VALID[int(VALID.length)] as Message;
      let data = encode(m);
      for (let k = 1 + int(4); k > 0; k--) {
        const at = int(data.length + 1);
        switch (int(4)) {
          case 0: // flip one bit
            if (at < data.length) data[at] = (data[at] as number) ^ (1 << int(8));
            break;
          case 1: // delete a run of bytes
            data = new Uint8Array([...data.subarray(0, at), ...data.subarray(at + 1 + int(8))]);
            break;
          case 2: // insert a JSON token
            data = new Uint8Array([...data.subarray(0, at), ...(tokens[int(tokens.length)] as Uint8Array), ...data.subarray(at)]);
            break;
          case 3: // overwrite a byte with any value
            if (at < data.length) data[at] = int(256);
            break;
        }
      }
      // Mostly the right topic, so mutations reach the schema checks.
      const topic = rnd() < 0.8 ? topicOf(m) : (TOPICS[int(TOPICS.length)] as Topic);
      let outcome: "ok" | "rejected" = "rejected";
      expect(() => (outcome = checkDecode(topic, data))).not.toThrow();
      outcomes[outcome]++;
    }
    // Both paths were exercised: some mutants survive (e.g. a changed digit), most do not.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });
});

test("a report keeps the optional web figures (requests/s, nginx connection states)", () => {
  const report = {
    server: serverName("web-1"),
    seq: 1,
    atMs: 1,
    status: "ok" as const,
    web: { hits: 9, busyWorkers: 3, maxWorkers: 64, requestsPerSecond: 12.5, reading: 1, writing: 2, waiting: 7 },
  };
  const d = decode("reports", encode({ type: "report", site: "s", report }));
  expect(d.ok && d.msg.type === "report" ? d.msg.report.web : undefined).toEqual(report.web);
});
