import { existsSync } from "node:fs";
import { clockDir, clockFile, validClockName, writeOffset } from "../../platform/faketime.js";
import { untrustedDir } from "../../platform/state-dir.js";
import type { RevertAction, RevertExecutor } from "./types.js";

/**
 * Puts clocks back: writes +0 to each named clock file under the state directory. The record holds
 * clock names, never paths, so a record edited on disk cannot make a revert write anywhere else.
 */
export const clock: RevertExecutor = {
  type: "clock",
  accepts: (a: RevertAction) =>
    Array.isArray(a.clocks) && a.clocks.every((c) => typeof c === "string" && validClockName(c)),
  async run(a: RevertAction): Promise<string> {
    const why = untrustedDir(clockDir());
    if (why) return `the clock directory ${clockDir()} ${why}: left alone`;
    const done: string[] = [];
    for (const name of a.clocks as string[]) {
      const file = clockFile(name);
      if (!existsSync(file)) continue;
      writeOffset(file, "+0");
      done.push(name);
    }
    return done.length > 0 ? `clock ${done.join(", ")} back to +0` : "clocks already gone";
  },
};
