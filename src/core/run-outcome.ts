import { EXIT, type ExitCode, type RunStatus } from "./exit-codes.js";

/**
 * How a run of any kind ended, in one vocabulary. Each run kind names the outcomes it can reach
 * (engine/run-kind.ts); this table alone decides what each one is stored as and how the process exits.
 */
export type Outcome =
  | "held"
  | "passed"
  | "promoted"
  | "verified"
  | "deviated"
  | "thresholds-failed"
  | "synthetic-failed"
  | "rolled-back"
  | "contract-broken"
  | "hypothesis-unmet-before-method"
  | "failed"
  | "fault-failed"
  | "not-started"
  | "aborted"
  | "stopped"
  | "interrupted"
  | "halted"
  | "deadline"
  | "invalid"
  | "crashed";

export interface OutcomeMeaning {
  /**
   * How the run ended: `completed` it ran to its verdict; `failed` it could not run as planned (bad
   * input, a bug, a version that did not start, the steady state unmet before the method, a probe
   * that errored); `aborted` it was stopped on purpose (halt, deadline, abort); `interrupted` a signal.
   */
  status: RunStatus;
  /** Whether the system failed what the run judged (a deviation, thresholds, a rollback). */
  deviated: boolean;
  exitCode: ExitCode;
}

const row = (status: RunStatus, deviated: boolean, exitCode: ExitCode): OutcomeMeaning => ({
  status,
  deviated,
  exitCode,
});

/** outcome → stored status, deviated, exit code: the one table every run kind goes through (README). */
export const OUTCOMES: Readonly<Record<Outcome, OutcomeMeaning>> = {
  held: row("completed", false, EXIT.ok),
  passed: row("completed", false, EXIT.ok),
  promoted: row("completed", false, EXIT.ok),
  verified: row("completed", false, EXIT.ok),
  deviated: row("completed", true, EXIT.failed),
  "thresholds-failed": row("completed", true, EXIT.failed),
  "synthetic-failed": row("completed", true, EXIT.failed),
  "rolled-back": row("completed", true, EXIT.failed),
  "contract-broken": row("completed", true, EXIT.failed),
  // Chaos Toolkit's journal: unmet before the method is failed, not deviated; an errored probe after it is both.
  "hypothesis-unmet-before-method": row("failed", false, EXIT.failed),
  failed: row("failed", true, EXIT.failed),
  // A fault that did not do what it said (an OOM-killed stressor): the run proves nothing either way.
  "fault-failed": row("failed", false, EXIT.failed),
  "not-started": row("failed", false, EXIT.invalid),
  invalid: row("failed", false, EXIT.invalid),
  crashed: row("failed", false, EXIT.internal),
  aborted: row("aborted", false, EXIT.aborted),
  halted: row("aborted", false, EXIT.aborted),
  // A game day's stop condition tripped and everything was reverted on purpose: an abort, exit 3, like
  // `withstand halt` (the lever is the same); what tripped is in the run's events and reason.
  stopped: row("aborted", false, EXIT.aborted),
  deadline: row("aborted", false, EXIT.aborted),
  interrupted: row("interrupted", false, EXIT.aborted),
};

export function meaningOf(outcome: Outcome): OutcomeMeaning {
  return OUTCOMES[outcome];
}

/** The outcome of a run stopped from outside (the session's abort reason). */
export function stoppedOutcome(reason: unknown): Outcome {
  return reason === "halted" || reason === "deadline" ? reason : "interrupted";
}

/**
 * A run whose record the store could not take in full exits 4, whatever its verdict: the system may
 * have passed, but the record says less than what happened (a local journal says where the rest is).
 */
export const EXIT_RECORD_INCOMPLETE = 4;
