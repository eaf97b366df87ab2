import { describe, expect, test } from "bun:test";
import { authorAndSeqno } from "../../../src/net/libp2p-bus.ts";

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe("authorAndSeqno, gossipsub's key for finding a copy seen before its signature is checked", () => {
  test("the same author and seqno give one key, whatever the data or signature", () => {
    expect(authorAndSeqno({ from: bytes(1, 2, 3), seqno: bytes(0, 7) })).toBe(authorAndSeqno({ from: bytes(1, 2, 3), seqno: bytes(0, 7) }));
  });

  test.each([
    ["another seqno", { from: bytes(1, 2, 3), seqno: bytes(0, 8) }],
    ["another author", { from: bytes(1, 2, 4), seqno: bytes(0, 7) }],
    ["the same bytes split elsewhere between author and seqno", { from: bytes(1, 2), seqno: bytes(3, 0, 7) }],
  ])("%s gives another key", (_, other) => {
    expect(authorAndSeqno(other)).not.toBe(authorAndSeqno({ from: bytes(1, 2, 3), seqno: bytes(0, 7) }));
  });

  test("a view into a larger buffer reads only its own bytes", () => {
    const buffer = bytes(9, 1, 2, 3, 9, 0, 7, 9);
    expect(authorAndSeqno({ from: buffer.subarray(1, 4), seqno: buffer.subarray(5, 7) })).toBe(authorAndSeqno({ from: bytes(1, 2, 3), seqno: bytes(0, 7) }));
  });

  test("a message without author or seqno (refused under StrictSign) gets the empty key, which no valid message has", () => {
    expect(authorAndSeqno({ seqno: bytes(1) })).toBe("");
    expect(authorAndSeqno({ from: bytes(1) })).toBe("");
    expect(authorAndSeqno({ from: bytes(), seqno: bytes() })).not.toBe("");
  });
});
