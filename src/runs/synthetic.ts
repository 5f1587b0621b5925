import { stoppedOutcome } from "../core/run-outcome.js";
import type { SyntheticSpec } from "../documents/synthetic.js";
import { defineRunKind } from "../engine/run-kind.js";
import type { RunDetail } from "../store/store.js";

/** One check per step, with the step's first failure. */
function stepChecks(run: RunDetail) {
  const steps = (
    run.result as {
      steps?: { name: string; status: string; failures: string[]; responseTimeMs: number }[];
    } | null
  )?.steps;
  return (steps ?? []).map((s) => ({
    suite: "steps",
    name: s.name,
    ok: s.status !== "failed",
    message: s.status === "failed" ? (s.failures[0] ?? "failed") : s.status,
    seconds: s.responseTimeMs / 1000,
  }));
}

/** A synthetic transaction run once (`kind: Synthetic`, Checkly/Gatus assertions): its steps and one window. */
export const syntheticKind = defineRunKind<SyntheticSpec, Record<string, never>>({
  name: "synthetic",
  documentKinds: ["Synthetic"],
  outcomes: ["passed", "synthetic-failed", "interrupted", "halted", "deadline", "invalid", "crashed"],
  dryRuns: false,
  load: async (file) => (await import("../documents/synthetic.js")).loadSyntheticFile(file),
  header: (spec) => ({ title: spec.name, source: spec.source }),
  async execute(spec, scope) {
    const [{ runSynthetic }, { syntheticSeries, syntheticWindow }] = await Promise.all([
      import("../checks/synthetic-run.js"),
      import("../checks/synthetic-record.js"),
    ]);
    const result = await runSynthetic(spec, scope.signal);
    scope.window(syntheticSeries(spec.name), syntheticWindow(result));
    const stopped = scope.signal.aborted;
    return {
      outcome: stopped ? stoppedOutcome(scope.signal.reason) : result.ok ? "passed" : "synthetic-failed",
      reason: result.reason,
      result,
      durationMs: result.durationMs,
    };
  },
  view: { label: "synthetics", checks: stepChecks },
});
