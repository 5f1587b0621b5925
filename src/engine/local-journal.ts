import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "../core/events.js";
import { ensurePrivateDir, stateDir } from "../safety/state.js";
import type { RunStart } from "../store/store.js";

/** What a run recorded when its store could not take the record: enough to import or read it later. */
export interface LocalJournal {
  run: RunStart;
  end: unknown;
  events: RunEvent[];
  storeFailures: string[];
}

/**
 * Writes a run's record beside the state directory's runs (`$WITHSTAND_STATE_DIR/incomplete/<id>.json`,
 * 0600) when the store could not take it; returns the path, or undefined if even that failed.
 */
export function writeLocalJournal(journal: LocalJournal, root = stateDir()): string | undefined {
  try {
    const dir = join(root, "incomplete");
    ensurePrivateDir(root);
    ensurePrivateDir(dir);
    const file = join(dir, `${journal.run.id}.json`);
    writeFileSync(file, `${JSON.stringify(journal)}\n`, { mode: 0o600, flag: "wx" });
    return file;
  } catch {
    return undefined;
  }
}
