import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import { meaningOf } from "../core/run-outcome.js";
import type { RunRecord } from "../engine/lifecycle.js";

/**
 * A run whose record the store could not take in full is not silently "passed": the user is told
 * what is missing and where the local journal is, and the exit code is 4 (record incomplete),
 * whatever the verdict was.
 */
export function reportRecord(record: RunRecord): number {
  for (const message of record.listenerFailures)
    process.stderr.write(`withstand: a listener failed: ${message}\n`);
  if (!record.incomplete) return record.exitCode;
  const { failures, journal } = record.incomplete;
  const n = failures.length;
  process.stderr.write(
    `withstand: the run store could not record all of run ${record.runId} (${n >= 10 ? "10 or more writes" : `${n} write${n > 1 ? "s" : ""}`} failed): ${failures[0] ?? ""}; ${journal ? `what the run saw is in ${journal}` : "no local journal could be written"}; exit ${record.exitCode} (record incomplete) instead of ${meaningOf(record.outcome).exitCode}\n`,
  );
  // A dead store's retries (timers, sockets) may keep the process alive: exit once nothing else would.
  process.exitCode = record.exitCode;
  setTimeout(() => process.exit(record.exitCode), 200).unref();
  return record.exitCode;
}

/**
 * The kind's result, for the command to print; a run that ended without one (bad input found while
 * starting, or a bug) is recorded as such and reported as its error: exit 2 or 70.
 */
export function resultOf<T>(record: RunRecord): T {
  if (record.result !== undefined) return record.result as T;
  if (record.outcome === "invalid") throw new WithstandError("WS_USAGE", record.reason, EXIT.invalid);
  throw new Error(record.reason);
}
