import type { ExitCode, RunStatus } from "./exit-codes.js";
import type { HypothesisStrategy, RollbackStrategy } from "./experiment.js";
import { meaningOf, type Outcome } from "./run-outcome.js";

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
  /** A dry run: nothing was probed, injected or waited for, so nothing held either. */
  dryRun?: boolean | undefined;
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

/** A verdict from the one outcome table (core/run-outcome.ts), with the experiment's reason. */
function verdict(outcome: Outcome, reason: string, ctkStatus?: RunStatus): Verdict {
  const m = meaningOf(outcome);
  return { ...m, outcome, reason, ctkStatus: ctkStatus ?? m.status };
}

/** The verdict of an experiment run as a pure function of what happened (table-tested). */
export function decide(f: RunFacts): Verdict {
  if (f.stopped) return verdict(f.stopped, STOPPED[f.stopped]);
  if (f.usageError !== undefined) return verdict("invalid", f.usageError, "aborted");
  if (f.crash !== undefined)
    return verdict("crashed", `unexpected error (a bug in withstand): ${f.crash}`, "aborted");
  if (f.faultFailed !== undefined)
    return verdict(
      "fault-failed",
      `a fault did not do what it said, so the run proves nothing: ${f.faultFailed}`,
      "failed",
    );
  if (f.before && !f.before.met)
    return verdict(
      "hypothesis-unmet-before-method",
      `steady state not met before the method (probe ${f.before.probe}); the method was not run`,
      f.before.probeFailed ? "failed" : "completed",
    );
  if (f.after && !f.after.met) {
    const reason = `steady state not met after the method (probe ${f.after.probe})`;
    // chaoslib: the steady state not met after the method is a deviation, also when a probe errored
    // (the journal spec says deviated MUST be true); the errored probe also fails the run.
    return f.after.probeFailed ? verdict("failed", reason) : verdict("deviated", reason);
  }
  const deviatedBy =
    f.methodProbeMiss !== undefined
      ? `method probe ${f.methodProbeMiss} was not within its tolerance`
      : f.continuousMiss !== undefined
        ? `steady state not met during the method (probe ${f.continuousMiss})${f.failFast ? "; stopped early (fail fast)" : ""}`
        : undefined;
  if (deviatedBy) return verdict("deviated", deviatedBy);
  if (f.dryRun) return verdict("held", "dry run: nothing was probed, injected or waited for");
  return verdict("held", f.hasHypothesis ? "steady state held" : "method completed (no hypothesis)");
}

/** Whether rollbacks play, by Chaos Toolkit's rules for each strategy. */
export function playsRollbacks(strategy: RollbackStrategy, v: Verdict): boolean {
  if (v.outcome === "interrupted" || v.outcome === "halted" || v.outcome === "deadline")
    return strategy === "always";
  // Bad input or a bug: the run never got far enough for rollbacks to mean anything.
  if (v.outcome === "invalid" || v.outcome === "crashed") return false;
  return (
    strategy === "always" ||
    (strategy === "default" && v.ctkStatus !== "failed") ||
    (strategy === "deviated" && v.deviated)
  );
}
