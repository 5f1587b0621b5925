import type { RunStatus } from "./exit-codes.js";
import type { FaultRecord } from "./fault.js";

export type { FaultRecord };

/** The Chaos Toolkit journal, plus a `withstand` section. Field names follow CTK exactly. */
export interface ActivityRun {
  activity: Record<string, unknown>;
  output: unknown;
  start: string;
  end: string;
  duration: number;
  status: "succeeded" | "failed";
  exception?: string[];
  tolerance_met?: boolean;
}

export interface SteadyState {
  steady_state_met: boolean;
  probes: ActivityRun[];
}

export type Outcome =
  | "held"
  | "deviated"
  | "hypothesis-unmet-before-method"
  | "failed"
  | "aborted"
  | "interrupted"
  | "halted"
  | "deadline"
  | "passed"
  | "thresholds-failed"
  | "synthetic-failed"
  | "promoted"
  | "rolled-back"
  | "verified"
  | "contract-broken"
  | "not-started";

export interface Journal {
  "chaoslib-version": string;
  platform: string;
  node: string;
  experiment: Record<string, unknown>;
  start: string;
  end: string;
  duration: number;
  status: RunStatus;
  deviated: boolean;
  steady_states: { before: SteadyState | null; after: SteadyState | null; during: SteadyState[] };
  run: ActivityRun[];
  rollbacks: ActivityRun[];
  withstand: {
    run_id: string;
    version: string;
    outcome: Outcome;
    reason: string;
    exit_code: number;
    faults: FaultRecord[];
  };
}
