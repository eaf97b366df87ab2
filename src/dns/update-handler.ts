// Answers an RFC 2136 UPDATE: TSIG checked against the allowed keys, the update parsed and
// judged (update-rules.ts), the accepted changes committed (persisted and gossiped) before the
// NOERROR goes out, and the reply signed. Every outcome is answered with its rcode and counted.

import type { Clock } from "../core/clock.ts";
import { tsigSign, tsigUnsigned, tsigVerify, TSIG_ERRORS, type TsigKey } from "./tsig.ts";
import { parseUpdate } from "./update-parse.ts";
import { applyUpdate, type Allowance, type DynamicRrset, type DynamicSet, type UpdateRcode } from "./update-rules.ts";
import { OPCODE_UPDATE } from "./update-message.ts";
import { concat, nameToWire, u16 } from "./wire.ts";

const RCODE: Record<UpdateRcode | "SERVFAIL", number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
};
export type UpdateOutcome = UpdateRcode | "SERVFAIL" | "BADSIG" | "BADKEY" | "BADTIME";

export interface UpdateHandlerInit {
  apex: string;
  reserved: (name: string) => boolean;
  /** By key name: the key and what it may change. */
  keys: ReadonlyMap<string, { key: TsigKey; allow: Allowance }>;
  records: () => DynamicSet;
  /** This node: the origin of what it accepts. */
  origin: string;
  clock: Clock;
  /** Persists and gossips accepted changes; resolves once they are durable. */
  commit: (changed: DynamicRrset[]) => Promise<void>;
  onOutcome: (outcome: UpdateOutcome, detail: string) => void;
}

/** True for a query (QR clear) with opcode UPDATE. */
export const isUpdate = (m: Uint8Array) => m.byteLength >= 12 && (m[2]! & 0x80) === 0 && ((m[2]! >> 3) & 0xf) === OPCODE_UPDATE;

export function updateHandler(init: UpdateHandlerInit): (query: Uint8Array) => Promise<Uint8Array> {
  const keys = new Map([...init.keys].map(([name, k]) => [name, k.key]));
  return async (query) => {
    const now = init.clock() / 1000;
    const header = (rcode: number, zone?: { name: string; type: number; klass: number }) =>
      concat([
        query.subarray(0, 2),
        u16(0x8000 | (OPCODE_UPDATE << 11) | rcode),
        u16(zone ? 1 : 0),
        u16(0),
        u16(0),
        u16(0),
        ...(zone ? [nameToWire(zone.name), u16(zone.type), u16(zone.klass)] : []),
      ]);
    const v = tsigVerify(query, keys, now);
    if (!v.ok) {
      if (v.error === "UNSIGNED") return done("REFUSED", "unsigned: updates need a key of update_allow", header(RCODE.REFUSED));
      if (v.error === "FORMERR") return done("FORMERR", v.detail, header(RCODE.FORMERR));
      return done(v.error, `${v.keyName ?? "?"}: ${v.detail}`, tsigUnsigned(header(RCODE.NOTAUTH), v.keyName ?? "", now, TSIG_ERRORS[v.error]));
    }
    const signed = (rcode: number, zone?: { name: string; type: number; klass: number }) =>
      tsigSign(header(rcode, zone), keys.get(v.keyName) as TsigKey, init.clock() / 1000, v.mac).bytes;
    const parsed = parseUpdate(v.unsigned);
    if (!parsed.ok) return done("FORMERR", parsed.error, signed(RCODE.FORMERR));
    const zone = parsed.update.zone;
    const allow = init.keys.get(v.keyName)?.allow as Allowance;
    const result = applyUpdate(parsed.update, {
      apex: init.apex,
      reserved: init.reserved,
      allow,
      records: init.records(),
      nowMs: init.clock(),
      origin: init.origin,
    });
    if (result.rcode !== "NOERROR") return done(result.rcode, `${v.keyName}: ${result.detail}`, signed(RCODE[result.rcode], zone));
    try {
      if (result.changed.length > 0) await init.commit(result.changed);
    } catch (err) {
      return done("SERVFAIL", `not stored: ${String(err)}`, signed(RCODE.SERVFAIL, zone));
    }
    return done(
      "NOERROR",
      `${v.keyName}: ${result.changed.map((c) => `${c.name} ${c.type} ${c.values.length ? c.values.join(" ") : "(deleted)"}`).join("; ") || "no change"}`,
      signed(RCODE.NOERROR, zone),
    );
  };

  function done(outcome: UpdateOutcome, detail: string, reply: Uint8Array): Uint8Array {
    init.onOutcome(outcome, detail);
    return reply;
  }
}
