import { writeFileSync } from "node:fs";
import { failUsage } from "./fail.js";

/**
 * Writes a file the user asked for with a flag (`--journal-path`, `--summary-json`, ...). A path that
 * cannot be written is the user's to fix: a WS_OUTPUT_UNWRITABLE usage error naming the flag (exit 2),
 * never an internal error; it is thrown after the run is recorded, and the session still closes.
 */
export function writeOutput(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    failUsage(
      `${flag} ${file}: cannot write (${e.code ?? e.message}; expected a path in an existing, writable directory)`,
      "WS_OUTPUT_UNWRITABLE",
    );
  }
}
