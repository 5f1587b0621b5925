import { EXIT, type ExitCode } from "./exit-codes.js";

/**
 * Every code withstand prints, with what it means. Codes are stable: scripts and tests match on them,
 * so a code is never renamed or reused; a new situation gets a new code. The README's "Error codes"
 * table lists exactly these (a unit test compares them).
 */
export const ERROR_CODES = {
  WS_USAGE: "a command-line flag or argument is wrong",
  WS_OUTPUT_UNWRITABLE:
    "a file the command was asked to write (--journal-path, --summary-json, ...) cannot be written",
  WS_PORT_IN_USE: "a port the command was asked to listen on is taken or cannot be bound",
  WS_RUN_NOT_FOUND: "no stored run has that id or unique prefix",
  WS_ROLLOUT_CONFLICT:
    "a rollout of that name is already running, or none/several are running when one is named",
  WS_DOC_INVALID: "a document failed validation (its diagnostics, at file:line:col, say where and why)",
  WS_DOC_UNREADABLE: "diagnostic: a document cannot be read (no such file, a directory, a URL that failed)",
  WS_DOC_SYNTAX: "diagnostic: a document is not valid YAML or JSON",
  WS_DOC_UNKNOWN_KEY:
    "diagnostic: a key the document's kind does not have (often a misspelling: see the did-you-mean)",
  WS_DOC_MISSING: "diagnostic: a required field is missing",
  WS_DOC_TYPE: "diagnostic: a field has the wrong type or is not one of the allowed values",
  WS_DOC_VALUE:
    "diagnostic: a field's value is not allowed (out of range, inconsistent with another field, ...)",
  WS_CONFIG: "bad input found while running: a missing variable, a value a fault cannot use",
  WS_TARGET_NO_MATCH: "a fault's selector matched no process (or only protected ones)",
  WS_ACTIVITY_FAILED: "an activity ran and failed (recorded in the run, exit 1)",
  WS_METRIC_SOURCE_MISSING: "an SLO or analysis names a metric source that is not configured",
  WS_METRIC_SOURCE_DOWN: "a metric source (Prometheus) is unreachable or rejected the query",
  WS_SLO_RULES: "alerting rules cannot be generated for an SLO",
  WS_SLO_HYPOTHESIS: "an SLO used as a steady-state probe cannot be evaluated",
  WS_STORE_UNREACHABLE: "the PostgreSQL store cannot be reached",
  WS_STORE: "the store answered with an error",
  WS_STORE_URL: "the --store URL cannot be parsed",
  WS_STORE_SCHEME: "the --store URL has an unknown scheme",
  WS_UNSAFE_STATE_DIR: "the safety state directory (or a file in it) is not owned by you with mode 0700",
  WS_TEMPLATE: "a Go template (Gossfile) cannot be parsed or executed",
  WS_GOSS_MATCHER: "a Goss matcher cannot be parsed",
  WS_HTTP_ASSERTION: "a synthetic's HTTP assertion cannot be parsed",
  WS_SEMVER: "a semantic version or range cannot be parsed",
  WS_REGEXP: "a Go (RE2) regular expression cannot be compiled (a Gossfile matcher or template)",
  WS_FLAG_FILE: "a flag file served by withstand flags serve has errors (the last good definitions stay)",
  WS_PACT_FILE: "a pact file cannot be read (not a pact, a matching rule or path that cannot be parsed)",
  WS_PACT_STATE: "a provider state could not be set up or torn down (--state-change-url, --state-command)",
  WS_FLAG_CHANGE: "a flag change was refused (unknown flag or variant, bad weights, a missing token)",
  WS_HTTP_FRAMING: "an HTTP/1.1 message seen by the proxy is malformed",
  WS_PROXY_API: "a Toxiproxy API request was refused (unknown proxy, bad toxic, ...)",
  WS_LAB_PRIVILEGE:
    "a network lab cannot be built here: root (CAP_NET_ADMIN, CAP_SYS_ADMIN) or ip/nft/tc is missing",
  WS_METHOD_STOPPED: "the method was stopped (internal: becomes the run's interrupted or aborted outcome)",
  WS_INTERNAL: "a bug in withstand (exit 70), never a finding about your system",
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one base of withstand's own errors: a stable `code` for scripts and tests, the exit code the
 * CLI uses, and the `cause` kept when an error is wrapped. Anything that is not a WithstandError
 * reaching the top is a bug in withstand and exits 70.
 */
export class WithstandError extends Error {
  constructor(
    readonly code: ErrorCode,
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

/** Usage errors on the command line (a flag, a --var): exit 2. A more specific code may be given. */
export class UsageError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? "WS_USAGE", message, EXIT.invalid, options);
    this.name = "UsageError";
  }
}

/**
 * A metric source cannot answer: `down` (Prometheus unreachable or refusing the query) or `missing`
 * (a source that is not configured). Exit 2.
 */
export class SourceError extends WithstandError {
  constructor(message: string, options?: { cause?: unknown; why?: "down" | "missing" }) {
    super(
      options?.why === "missing" ? "WS_METRIC_SOURCE_MISSING" : "WS_METRIC_SOURCE_DOWN",
      message,
      EXIT.invalid,
      options,
    );
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

/** How the CLI prints an error: one line, the code after `error`, then the message. */
export function formatError(code: ErrorCode, message: string): string {
  return `withstand: error ${code}: ${message}`;
}
