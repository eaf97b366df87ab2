// content_version_command: the time of the newest change of content walrus does not replicate,
// read from a real shell command.
import { expect, test } from "bun:test";
import { parseContentTime, readContentTime } from "../../../src/report/content-time.ts";

test.each([
  ["Unix seconds", "1764720000\n", { ms: 1_764_720_000_000 }],
  ["with a fraction, more lines after", "1764720000.25\nreplica lag 0.3 s\n", { ms: 1_764_720_000_250 }],
])("%s", (_what, out, expected) => {
  expect(parseContentTime(out)).toEqual(expected);
});

test.each([
  ["milliseconds", "1764720000000"],
  ["zero", "0"],
  ["a word", "fresh"],
  ["nothing", ""],
  ["negative", "-1764720000"],
])("%s is refused, saying what was expected", (_what, out) => {
  const r = parseContentTime(out);
  expect("error" in r && r.error).toMatch(/^content_version_command printed ".*": expected the time of the newest change, in Unix seconds/);
});

test("a real command: its output, its failure, its time limit", async () => {
  expect(await readContentTime("echo 1764720000", 2000)).toEqual({ ms: 1_764_720_000_000 });
  expect(await readContentTime("echo 'replica is down' >&2; exit 3", 2000)).toEqual({ error: "content_version_command exited with status 3: replica is down" });
  expect(await readContentTime("sleep 5", 200)).toEqual({ error: "content_version_command timed out after 200 ms" });
});
