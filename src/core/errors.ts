import { EXIT, type ExitCode } from "./exit-codes.js";

/**
 * The one base of withstand's own errors: a stable `code` for scripts and tests, the exit code the
 * CLI uses, and the `cause` kept when an error is wrapped. Anything that is not a WithstandError
 * reaching the top is a bug in withstand and exits 70.
 */
export class WithstandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = EXIT.invalid,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WithstandError";
  }
}

/** Bad input found while running (a missing variable, a fault that cannot apply): exit 2. */
export class ConfigError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_CONFIG", message, EXIT.invalid, options);
    this.name = "ConfigError";
  }
}

/** A selector that hits nothing (or only protected processes) is a user error: exit 2, never a silent no-op. */
export class TargetError extends WithstandError {
  constructor(
    message: string,
    readonly loc: string,
  ) {
    super("WS_TARGET_NO_MATCH", message, EXIT.invalid);
    this.name = "TargetError";
  }
}

/** An activity that ran and failed: recorded as a failed activity, never a crash. */
export class ActivityFailure extends WithstandError {
  constructor(
    message: string,
    readonly output?: unknown,
    options?: { cause?: unknown },
  ) {
    super("WS_ACTIVITY_FAILED", message, EXIT.failed, options);
    this.name = "ActivityFailure";
  }
}

/** Usage errors on the command line (a flag, a --var): exit 2. */
export class UsageError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_USAGE", message, EXIT.invalid, options);
    this.name = "UsageError";
  }
}

/** A metric source cannot answer (Prometheus unreachable, a source that is not configured): exit 2. */
export class SourceError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WS_METRIC_SOURCE", message, EXIT.invalid, options);
    this.name = "SourceError";
  }
}

/** An SLO that rules cannot be generated for: exit 2. */
export class RulesError extends WithstandError {
  constructor(message: string) {
    super("WS_SLO_RULES", message, EXIT.invalid);
    this.name = "RulesError";
  }
}
