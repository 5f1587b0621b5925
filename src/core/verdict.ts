import { EXIT, EXIT_INTERNAL, type ExitCode, exitCodeFor, type RunStatus } from "./exit-codes.js";
import type { HypothesisStrategy, RollbackStrategy } from "./experiment.js";
import type { Outcome } from "./journal.js";

/** Which hypothesis checks each strategy runs (Chaos Toolkit's strategies). */
export const PHASES: Record<HypothesisStrategy, { before: boolean; during: boolean; after: boolean }> = {
  default: { before: true, during: false, after: true },
  "before-method-only": { before: true, during: false, after: false },
  "after-method-only": { before: false, during: false, after: true },
  "during-method-only": { before: false, during: true, after: false },
  continuously: { before: true, during: true, after: true },
};

/** One check of the steady-state hypothesis, as the verdict needs it. */
export interface HypothesisCheck {
  met: boolean;
  /** A probe errored (not merely out of tolerance): Chaos Toolkit's run status becomes failed. */
  probeFailed: boolean;
  /** The last probe that ran, named in the reason. */
  probe: string;
}

/** What happened in a run; `decide` turns it into the verdict. Set at most one of stopped, usageError, crash. */
export interface RunFacts {
  hasHypothesis: boolean;
  before?: HypothesisCheck | undefined;
  methodProbeMiss?: string | undefined;
  continuousMiss?: string | undefined;
  failFast?: boolean | undefined;
  after?: HypothesisCheck | undefined;
  stopped?: "interrupted" | "halted" | "deadline" | undefined;
  usageError?: string | undefined;
  crash?: string | undefined;
  /** A fault that stopped doing what it said before its revert (a stressor the OOM killer took). */
  faultFailed?: string | undefined;
}

export interface Verdict {
  status: RunStatus;
  outcome: Outcome;
  deviated: boolean;
  reason: string;
  exitCode: ExitCode;
  /** Chaos Toolkit decides rollbacks on its own status, which stays "completed" when the before-hypothesis is unmet. */
  ctkStatus: RunStatus;
}

const STOPPED: Record<NonNullable<RunFacts["stopped"]>, string> = {
  interrupted: "interrupted by a signal",
  halted: "halted by withstand halt",
  deadline: "deadline reached",
};

/** The verdict of an experiment run as a pure function of what happened (table-tested). */
export function decide(f: RunFacts): Verdict {
  if (f.stopped)
    return {
      status: f.stopped === "interrupted" ? "interrupted" : "aborted",
      outcome: f.stopped,
      deviated: false,
      reason: STOPPED[f.stopped],
      exitCode: EXIT.aborted,
      ctkStatus: f.stopped === "interrupted" ? "interrupted" : "aborted",
    };
  if (f.usageError !== undefined)
    return {
      status: "aborted",
      outcome: "aborted",
      deviated: false,
      reason: f.usageError,
      exitCode: EXIT.invalid,
      ctkStatus: "aborted",
    };
  if (f.crash !== undefined)
    return {
      status: "aborted",
      outcome: "aborted",
      deviated: false,
      reason: `unexpected error (a bug in withstand): ${f.crash}`,
      exitCode: EXIT_INTERNAL,
      ctkStatus: "aborted",
    };
  if (f.faultFailed !== undefined)
    return {
      status: "failed",
      outcome: "failed",
      deviated: false,
      reason: `a fault did not do what it said, so the run proves nothing: ${f.faultFailed}`,
      exitCode: EXIT.failed,
      ctkStatus: "failed",
    };
  if (f.before && !f.before.met)
    return {
      status: "failed",
      outcome: "hypothesis-unmet-before-method",
      deviated: false,
      reason: `steady state not met before the method (probe ${f.before.probe}); the method was not run`,
      exitCode: EXIT.failed,
      ctkStatus: f.before.probeFailed ? "failed" : "completed",
    };
  if (f.after && !f.after.met) {
    const reason = `steady state not met after the method (probe ${f.after.probe})`;
    // chaoslib: the steady state not met after the method is a deviation, also when a probe errored
    // (the journal spec says deviated MUST be true); the errored probe also fails the run.
    return f.after.probeFailed
      ? {
          status: "failed",
          outcome: "failed",
          deviated: true,
          reason,
          exitCode: EXIT.failed,
          ctkStatus: "failed",
        }
      : {
          status: "completed",
          outcome: "deviated",
          deviated: true,
          reason,
          exitCode: EXIT.failed,
          ctkStatus: "completed",
        };
  }
  const deviatedBy =
    f.methodProbeMiss !== undefined
      ? `method probe ${f.methodProbeMiss} was not within its tolerance`
      : f.continuousMiss !== undefined
        ? `steady state not met during the method (probe ${f.continuousMiss})${f.failFast ? "; stopped early (fail fast)" : ""}`
        : undefined;
  if (deviatedBy)
    return {
      status: "completed",
      outcome: "deviated",
      deviated: true,
      reason: deviatedBy,
      exitCode: exitCodeFor("completed", true),
      ctkStatus: "completed",
    };
  return {
    status: "completed",
    outcome: "held",
    deviated: false,
    reason: f.hasHypothesis ? "steady state held" : "method completed (no hypothesis)",
    exitCode: EXIT.ok,
    ctkStatus: "completed",
  };
}

/** Whether rollbacks play, by Chaos Toolkit's rules for each strategy. */
export function playsRollbacks(strategy: RollbackStrategy, v: Verdict): boolean {
  if (v.outcome === "interrupted" || v.outcome === "halted" || v.outcome === "deadline")
    return strategy === "always";
  // Bad input or a bug: the run never got far enough for rollbacks to mean anything.
  if (v.outcome === "aborted") return false;
  return (
    strategy === "always" ||
    (strategy === "default" && v.ctkStatus !== "failed") ||
    (strategy === "deviated" && v.deviated)
  );
}
