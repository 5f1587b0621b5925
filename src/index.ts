/**
 * withstand as a library: the same pieces the CLI is made of. Read a document, run it with your own
 * event bus and abort signal, record it in a store. Every fault registers with the safety registry
 * before it is applied, so a library run reverts on its end, its abort signal, `withstand halt` and
 * a crash of the process exactly as a CLI run does.
 */
import type { RolloutSpec } from "./core/rollout.js";
import { type ControllerOptions, RolloutController, type RolloutResult } from "./rollout/controller.js";

export { WithstandError } from "./core/errors.js";
export { EventBus, type Listener, type RunEvent } from "./core/events.js";
export { EXIT, EXIT_INTERNAL, type ExitCode } from "./core/exit-codes.js";
export type { ExperimentSpec } from "./core/experiment.js";
export type { FaultTarget } from "./core/fault.js";
export type { FaultKind } from "./core/fault-kind.js";
export type { Journal } from "./core/journal.js";
export type { LoadPlan } from "./core/load-plan.js";
export type { RolloutSpec } from "./core/rollout.js";
export { type Diagnostic, formatDiagnostic } from "./documents/diagnostic.js";
export { loadExperimentFile } from "./documents/experiment-file.js";
export { loadLoadTestFile } from "./documents/load-test-file.js";
export { loadRolloutFile } from "./documents/rollout.js";
export { type RunOptions, type RunResult, runExperiment, type StopReason } from "./engine/run.js";
export { FAULT_KINDS } from "./faults/index.js";
export { type LoadOutcome, runLoad } from "./load/coordinator.js";
export { haltAll } from "./safety/halt.js";
export { openStore } from "./store/open.js";
export type { Store } from "./store/store.js";

/** Runs a canary rollout to its decision (promoted, rolled back or aborted). */
export function runRollout(spec: RolloutSpec, opts: ControllerOptions): Promise<RolloutResult> {
  return new RolloutController(spec, opts).run();
}
export type { ControllerOptions as RolloutOptions, RolloutResult };
