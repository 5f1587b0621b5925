import type { ExperimentSpec } from "../core/experiment.js";
import type { ActivityRun, Journal } from "../core/journal.js";
import { resolveConfiguration } from "../engine/configuration.js";
import type { RunOptions, RunResult } from "../engine/run.js";
import { type Check, defineRunKind, type KindResult, type RunScope } from "../engine/run-kind.js";
import type { RunDetail } from "../store/store.js";

/** An experiment's own options: strategies, overrides, --allow-remote (the session gives the rest). */
export type ExperimentOptions = Omit<
  RunOptions,
  "runId" | "bus" | "signal" | "hardSignal" | "dryRun" | "services"
>;

function probeChecks(suite: string, probes: readonly ActivityRun[]): Check[] {
  return probes.map((p) => {
    const name = String(p.activity.name ?? "probe");
    const ok = p.status === "succeeded" && p.tolerance_met !== false;
    const message =
      p.status === "failed"
        ? (p.exception ?? ["failed"]).join(" ").slice(0, 500)
        : p.tolerance_met === false
          ? `tolerance not met (output: ${JSON.stringify(p.output)?.slice(0, 300)})`
          : "ok";
    return { suite, name, ok, message, seconds: p.duration };
  });
}

/** Hypothesis probes, method activities and fault reverts of a run that kept a journal. */
export function journalChecks(run: RunDetail): Check[] {
  if (!run.journal) return [];
  const j: Journal = run.journal;
  return [
    ...probeChecks("steady state before", j.steady_states.before?.probes ?? []),
    ...j.run.map((a) => ({
      suite: "method",
      name: String(a.activity.name ?? "activity"),
      ok: a.status === "succeeded",
      message: a.status === "failed" ? (a.exception ?? ["failed"]).join(" ").slice(0, 500) : "ok",
      seconds: a.duration,
    })),
    ...probeChecks("steady state after", j.steady_states.after?.probes ?? []),
    ...j.withstand.faults.map((f) => ({
      suite: "faults reverted",
      name: `${f.kind} ${f.activity}`,
      ok: f.reverted_at !== null,
      message: f.reverted_at ? f.revert : "never reverted",
      seconds: f.reverted_at ? (Date.parse(f.reverted_at) - Date.parse(f.injected_at)) / 1000 : 0,
    })),
  ];
}

/** The services an experiment declares, substituted with its configuration and secrets. */
export function experimentServices(spec: ExperimentSpec, options: Partial<ExperimentOptions>) {
  let scopes: Record<string, unknown>[] = [];
  try {
    const r = resolveConfiguration(spec, options.overrides ?? { configuration: {}, secrets: {} });
    scopes = [r.configuration, r.secrets];
  } catch {
    // The experiment reports its configuration error itself; substitution then leaves the text as is.
  }
  return { spec, scopes, file: spec.file };
}

/** Runs the experiment in the session and turns its journal into the kind's result. */
export async function executeInScope(
  spec: ExperimentSpec,
  scope: RunScope,
  options: Partial<ExperimentOptions>,
): Promise<KindResult> {
  // Execution code loads when a run starts: the registry stays light for `--help` and the views.
  const { executeExperiment } = await import("../engine/run.js");
  const r = await executeExperiment(spec, {
    ...options,
    runId: scope.runId,
    bus: scope.bus,
    signal: scope.signal,
    hardSignal: scope.hardSignal,
    dryRun: scope.dryRun,
    services: scope.services,
  });
  const w = r.journal.withstand;
  return {
    outcome: w.outcome,
    reason: w.reason,
    result: r.journal,
    durationMs: r.journal.duration * 1000,
    usageError: r.usageError,
    usageCode: r.usageCode,
  };
}

export const EXPERIMENT_OUTCOMES = [
  "held",
  "deviated",
  "hypothesis-unmet-before-method",
  "failed",
  "fault-failed",
  "interrupted",
  "halted",
  "deadline",
  "invalid",
  "crashed",
] as const;

/** A chaos experiment: Chaos Toolkit's or withstand's own (`kind: Experiment`). */
export const experimentKind = defineRunKind<ExperimentSpec, ExperimentOptions>({
  name: "experiment",
  documentKinds: ["Experiment", "chaostoolkit"],
  outcomes: EXPERIMENT_OUTCOMES,
  dryRuns: true,
  load: async (file) => (await import("../documents/experiment-file.js")).loadExperimentFile(file),
  header: (spec) => ({ title: spec.title, source: spec.file }),
  services: experimentServices,
  execute: executeInScope,
  view: { label: "experiments", checks: journalChecks },
});

/**
 * Runs an experiment with your own run id, bus and abort signal, recording nothing (pass it to `run`
 * with a store to record it). Kept for the library: `run-started` and `run-finished` come from the session.
 */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunResult> {
  const { runId, bus, signal, dryRun, ...options } = opts;
  const [{ runLifecycle }, { SERVICES }] = await Promise.all([
    import("../engine/lifecycle.js"),
    import("../services/index.js"),
  ]);
  const record = await runLifecycle(experimentKind, spec, {
    store: false,
    runId,
    bus,
    signal,
    dryRun,
    services: SERVICES,
    options,
  });
  const journal = record.result as Journal;
  return record.usageError !== undefined
    ? { journal, exitCode: record.exitCode as RunResult["exitCode"], usageError: record.usageError }
    : { journal, exitCode: record.exitCode as RunResult["exitCode"] };
}
