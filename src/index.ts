/**
 * withstand as a library: the same pieces the CLI is made of. `run` reads any document (an
 * experiment, a LoadTest, a Rollout, a Synthetic) and runs and records it exactly as `withstand run`
 * does. Every fault registers with the safety registry before it is applied, so a library run reverts
 * on its end, its abort signal, `withstand halt` and a crash of the process exactly as a CLI run does.
 */
export { WithstandError } from "./core/errors.js";
export { EventBus, type Listener, type RunEvent } from "./core/events.js";
export { EXIT, EXIT_INTERNAL, type ExitCode } from "./core/exit-codes.js";
export type { ExperimentSpec } from "./core/experiment.js";
export type { FaultTarget } from "./core/fault.js";
export type { FaultKind } from "./core/fault-kind.js";
export type { Journal } from "./core/journal.js";
export type { LoadPlan } from "./core/load-plan.js";
export type { RolloutSpec } from "./core/rollout.js";
export { EXIT_RECORD_INCOMPLETE, OUTCOMES, type Outcome } from "./core/run-outcome.js";
export { type Diagnostic, formatDiagnostic } from "./documents/diagnostic.js";
export { loadExperimentFile } from "./documents/experiment-file.js";
export { loadLoadTestFile } from "./documents/load-test-file.js";
export { loadRolloutFile } from "./documents/rollout.js";
export { type LifecycleOptions, type RunRecord, runLifecycle } from "./engine/lifecycle.js";
export type { RunOptions, RunResult, StopReason } from "./engine/run.js";
export type { KindResult, RunKind, RunScope } from "./engine/run-kind.js";
export type { Service } from "./engine/service.js";
export { FAULT_KINDS } from "./faults/index.js";
export { type LoadOutcome, runLoad } from "./load/coordinator.js";
export { runExperiment } from "./runs/experiment.js";
export { RUN_KINDS } from "./runs/index.js";
export { type RunDocumentOptions, run } from "./runs/run.js";
export { haltAll } from "./safety/halt.js";
export { SERVICES } from "./services/index.js";
export { openStore } from "./store/open.js";
export type { Store } from "./store/store.js";

import type { RolloutSpec as Rollout } from "./core/rollout.js";
import { type ControllerOptions, RolloutController, type RolloutResult } from "./rollout/controller.js";

/** Runs a canary rollout to its decision without recording it (`run` records one). */
export function runRollout(spec: Rollout, opts: ControllerOptions): Promise<RolloutResult> {
  return new RolloutController(spec, opts).run();
}
export type { ControllerOptions as RolloutOptions, RolloutResult };
