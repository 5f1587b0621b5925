import type { ExitCode, RunStatus } from "./exit-codes.js";
import type { Outcome } from "./journal.js";
import type { MetricVerdict } from "./judge.js";
import type { ThresholdSpec } from "./load-plan.js";
import type { ContractCheck } from "./pact/gate.js";
import type { StoredWindow } from "./window.js";

/** Typed run events. The engine emits them; the CLI, the store and the server subscribe. */
export type Phase = "hypothesis-before" | "method" | "hypothesis-after" | "hypothesis-during" | "rollbacks";

interface Base {
  runId: string;
  ts: string;
}

export type RunEvent = Base &
  (
    | {
        type: "run-started";
        title: string;
        source: string;
        /** A load run's thresholds, so a group's report can judge the merged view without the file. */
        thresholds?: ThresholdSpec[] | undefined;
        /** A load run's group and segment (`--group`, `--segment i/N`). */
        group?: string | undefined;
        segment?: string | undefined;
      }
    | {
        type: "activity-started";
        phase: Phase;
        name: string;
        activityType: "probe" | "action";
        background: boolean;
      }
    | {
        type: "activity-finished";
        phase: Phase;
        name: string;
        status: "succeeded" | "failed";
        durationMs: number;
        toleranceMet?: boolean;
        detail: string;
      }
    | { type: "hypothesis-checked"; phase: Phase; met: boolean; title: string }
    | { type: "fault-injected"; faultId: string; kind: string; activity: string; targets: string[] }
    | { type: "fault-reverted"; faultId: string; kind: string; activity: string; how: string }
    | { type: "warning"; message: string }
    | { type: "load-window"; name: string; count: number; errors: number; p99Ms: number }
    /** A closed window of measurements (load, router), histograms encoded: the store keeps it as a window. */
    | { type: "window"; series: string; window: StoredWindow }
    | { type: "rollout-step"; step: number; of: number; description: string }
    | { type: "rollout-weight"; weight: number; reason: string }
    | {
        type: "rollout-measurement";
        /** The step's index, or -1 for background analysis. */
        step: number;
        analysis: string;
        index: number;
        phase: "Successful" | "Failed" | "Inconclusive" | "Error";
        reason: string;
        score?: number;
        verdict?: string;
        metrics: MetricVerdict[];
        /** A pact gate's verification: counts, and each broken interaction with its mismatches. */
        contract?: ContractCheck;
      }
    | { type: "rollout-analysis"; step: number; analysis: string; phase: string; reason: string }
    | { type: "rollout-paused"; reason: string }
    | { type: "rollout-resumed"; by: string }
    /** A game day's step began as its own run (`childRunId`), or ended with that run's outcome. */
    | { type: "step-started"; step: number; of: number; name: string; source: string; childRunId: string }
    | {
        type: "step-finished";
        step: number;
        name: string;
        childRunId: string;
        outcome: string;
        reason: string;
      }
    /** A game day's stop condition tripped: which one, what it saw. */
    | { type: "stop-condition-tripped"; condition: string; value: string }
    /** Everything the game day had started was reverted after a stop condition tripped, this long after it. */
    | {
        type: "stop-reverted";
        condition: string;
        /** -1 when nothing was held (see `held`) or its end is unknown. */
        revertedMs: number;
        /** What the stop had to revert (faults, load, rollout); empty: nothing to revert. */
        held?: string[] | undefined;
      }
    /** An observer's timestamped note (`withstand gameday note`). */
    | { type: "note"; text: string; author: string; tag?: "good" | "bad" | "lucky" | "action" | undefined }
    | {
        type: "rollout-finished";
        decision: "promoted" | "rolled-back" | "aborted" | "not-started";
        reason: string;
        exitCode: ExitCode;
        durationMs: number;
      }
    | {
        type: "run-finished";
        status: RunStatus;
        deviated: boolean;
        outcome: Outcome;
        reason: string;
        exitCode: ExitCode;
        durationMs: number;
      }
  );

export type RunEventOf<T extends RunEvent["type"]> = Extract<RunEvent, { type: T }>;

export type Listener = (event: RunEvent) => void;

/** Fans events out to listeners; a failing listener never breaks the run (Playwright's multiplexer rule). */
export class EventBus {
  private readonly listeners: Listener[] = [];
  readonly failures: Error[] = [];

  on(listener: Listener): void {
    this.listeners.push(listener);
  }

  emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.failures.push(err as Error);
      }
    }
  }
}
