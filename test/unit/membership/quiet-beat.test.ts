import { describe, expect, test } from "bun:test";
import { beatDue, REFRESH_BEATS, type BeatSent, type NextBeat } from "../../../src/membership/quiet-beat.ts";

const PACE = 1667;
const sent = (skipped = 0): BeatSent => ({ said: "same", skipped });
const same: NextBeat = { said: "same", carriesDrains: false };

describe("beatDue: which of a slow-paced node's heartbeat ticks send", () => {
  // [what, last sent, next, ms since the node sent anything, due?]
  const cases: [string, BeatSent | undefined, NextBeat, number, boolean][] = [
    ["nothing sent yet", undefined, same, 0, true],
    ["nothing new, a report went out within the pace", sent(), same, 400, false],
    ["nothing new, but nothing at all went out for a whole pace", sent(), same, PACE, true],
    ["something new (a grant, the drain digest, the epoch)", sent(), { said: "other", carriesDrains: false }, 400, true],
    ["the whole drain table, said before: a peer may lack it", sent(), { said: "same", carriesDrains: true }, 400, true],
    ["the last of REFRESH_BEATS ticks", sent(REFRESH_BEATS - 1), same, 400, true],
    ["one tick before that", sent(REFRESH_BEATS - 2), same, 400, false],
  ];
  for (const [what, last, next, quietMs, due] of cases) test(what, () => expect(beatDue(last, next, quietMs, PACE)).toBe(due));
});
