// Reads a TSIG key file named in the config, at start: a missing or malformed key stops the node
// with the file and the config key that named it.

import { readFileSync } from "node:fs";
import { parseKeyFile, type TsigKey } from "./tsig.ts";

export function loadTsigKey(file: string, configKey: string): TsigKey {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file} (${configKey}): cannot read the TSIG key: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const parsed = parseKeyFile(text);
  if (!parsed.ok) throw new Error(`${file} (${configKey}): expected ${parsed.expected}`);
  return parsed.key;
}
