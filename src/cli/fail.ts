import { type ErrorCode, formatError, UsageError, WithstandError } from "../core/errors.js";
import { EXIT_INTERNAL } from "../core/exit-codes.js";

/**
 * A usage or input error: throws a coded UsageError that the entry point prints and exits 2 with,
 * after every session's `finally` has run its teardowns (it never exits from where it is called).
 */
export function failUsage(message: string, code: ErrorCode = "WS_USAGE"): never {
  throw new UsageError(message, { code });
}

/**
 * The CLI's one error printer: `withstand: error CODE: message` on stderr and, under `--json`, the same
 * as one JSON line on stdout (`{"type":"error","code":...,"message":...,"exitCode":...}`), so a
 * script reading the NDJSON stream sees why it ended. Returns the exit code.
 */
export function reportError(err: unknown, json: boolean): number {
  const known = err instanceof WithstandError;
  const code: ErrorCode = known ? err.code : "WS_INTERNAL";
  const exitCode = known ? err.exitCode : EXIT_INTERNAL;
  const message = known ? err.message : String((err as Error)?.message ?? err);
  // Not one of ours: a bug in withstand. 70 (EX_SOFTWARE), never 1, which means "your system deviated".
  process.stderr.write(
    known
      ? `${formatError(code, message)}\n`
      : `withstand: internal error ${code}: this is a bug in withstand, please report it\n${(err as Error)?.stack ?? String(err)}\n`,
  );
  if (json) process.stdout.write(`${JSON.stringify({ type: "error", code, message, exitCode })}\n`);
  return exitCode;
}
