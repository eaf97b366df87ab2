// The operator's bypass_command, run by the real /bin/sh: passing is silent; failing, timing
// out or not starting is a reason; through the collector and the rules it is BYPASS.
import { describe, expect, test } from "bun:test";
import { runBypassCommand } from "../../src/report/bypass-command.ts";
import { createCollector } from "../../src/report/collect.ts";
import { initialVerdict, judge } from "../../src/report/verdict.ts";

const PROC_FIXTURES = `${import.meta.dir}/../fixtures/proc`;

describe("runBypassCommand", () => {
  test.each<[string, string, string | undefined]>([
    ["exit 0 passes", "true", undefined],
    ["a non-zero exit names the status", "exit 3", "bypass_command exited with status 3"],
    [
      "the last stderr line is the reason",
      "echo checking >&2; echo 'database unreachable' >&2; exit 1",
      "bypass_command exited with status 1: database unreachable",
    ],
    ["stdout is not the reason", "echo noise; exit 2", "bypass_command exited with status 2"],
    // Debian's /bin/sh is dash, which words it so.
    ["a missing program is the shell's 127", "no-such-walrus-check", "bypass_command exited with status 127: /bin/sh: 1: no-such-walrus-check: not found"],
    ["a long message is cut", `printf '%0300d' 0 >&2; exit 1`, `bypass_command exited with status 1: ${"0".repeat(160)}…`],
    ["killed by a signal", "kill -TERM $$", "bypass_command killed by SIGTERM"],
  ])("%s", async (_what, command, reason) => {
    expect(await runBypassCommand(command, 5000)).toBe(reason);
  });

  test("a command over its time is killed and named as timed out", async () => {
    const t0 = performance.now();
    expect(await runBypassCommand("sleep 30", 200)).toBe("bypass_command timed out after 200 ms");
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  test("a command that exits while its child keeps stderr open does not hold the reporter", async () => {
    const t0 = performance.now();
    expect(await runBypassCommand("sleep 5 & exit 4", 2000)).toBe("bypass_command exited with status 4");
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});

test("through the collector and the rules: BYPASS with the command's reason, and back to OK", async () => {
  const up = { read: async () => ({ state: "up" as const }) };
  const flag = `/tmp/walrus-bypass-${process.pid}`;
  const collector = createCollector({
    source: up,
    procRoot: `${PROC_FIXTURES}/old-kernel`,
    bypass: { command: `test ! -e ${flag} || { echo "maintenance flag set" >&2; exit 1; }`, timeoutMs: 2000 },
  });
  let memory = initialVerdict();
  const probe = async (atMs: number) => {
    const v = judge(memory, await collector.collect(atMs), { fallCount: 2, riseCount: 3 });
    memory = v.memory;
    return [v.status, v.reason];
  };
  await probe(0);
  expect(await probe(1000)).toEqual(["ok", undefined]);
  await Bun.write(flag, "");
  try {
    expect(await probe(2000)).toEqual(["bypass", "bypass_command exited with status 1: maintenance flag set"]);
  } finally {
    await Bun.file(flag).delete();
  }
  expect(await probe(3000)).toEqual(["ok", undefined]);
});
