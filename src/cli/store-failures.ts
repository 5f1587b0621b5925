import { EXIT, type ExitCode } from "../core/exit-codes.js";
import type { RunSession } from "../engine/session.js";

/**
 * A run whose record the store could not take in full is not silently "passed": the user is told what
 * is missing and the exit code is 2, whatever the verdict was.
 */
export function storeExit(
  session: Pick<RunSession, "storeFailures" | "runId">,
  exitCode: number,
): ExitCode | number {
  const failed = session.storeFailures();
  if (failed.length === 0) return exitCode;
  process.stderr.write(
    `withstand: the run store could not record all of run ${session.runId} (${failed.length === 10 ? "10 or more writes" : `${failed.length} write${failed.length > 1 ? "s" : ""}`} failed): ${failed[0]?.message ?? ""}; exit 2 instead of ${exitCode}\n`,
  );
  return EXIT.invalid;
}
