// Which release the web server serves: the target of <release_root>/current, as the replicator
// leaves it (releases/<id>). Read at every report, so a switch shows within one interval.
import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";

/** The release id, "" when there is no current link yet (a server that never received one). */
export function readRelease(root: string): { release: string } | { error: string } {
  try {
    return { release: basename(readlinkSync(join(root, "current"))) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { release: "" };
    return { error: `${join(root, "current")}: ${code ?? (err as Error).message}` };
  }
}
