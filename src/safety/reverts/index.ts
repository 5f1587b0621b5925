import { clock } from "./clock.js";
import { deleteFile } from "./file.js";
import { http } from "./http.js";
import { labDown, labFault } from "./netlab.js";
import { none } from "./none.js";
import { resume, stop } from "./signal.js";
import type { RevertAction, RevertExecutor } from "./types.js";

/** Every revert type, by name. A fault kind whose undo is new adds one executor file and one line here. */
const EXECUTORS: ReadonlyMap<string, RevertExecutor> = new Map(
  [none, resume, stop, http, deleteFile, clock, labDown, labFault].map((e) => [e.type, e]),
);

/**
 * Executes a revert without any state of the runner, for the run, `halt` and the watchdog alike.
 * Idempotent, and never throws: an unknown or malformed record is reported and left alone.
 */
export async function executeRevert(action: RevertAction): Promise<string> {
  const executor = EXECUTORS.get(action.type);
  if (!executor) return `unknown revert type ${JSON.stringify(action.type)}: left alone`;
  if (!executor.accepts(action)) return `malformed ${action.type} revert: left alone`;
  try {
    return await executor.run(action);
  } catch (err) {
    return `${action.type} revert failed: ${(err as Error).message}`;
  }
}

export type { RevertAction, RevertExecutor };
