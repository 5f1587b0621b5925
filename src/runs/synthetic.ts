import { stoppedOutcome } from "../core/run-outcome.js";
import type { SyntheticSpec } from "../documents/synthetic.js";
import { defineRunKind } from "../engine/run-kind.js";
import type { RunDetail } from "../store/store.js";

function formatDelay(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Number((ms / 1000).toFixed(3))}s`;
}

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
    // A backoff between attempts can last minutes: say so, so the terminal is never silent that long.
    const result = await runSynthetic(spec, scope.signal, undefined, (n) =>
      scope.emit({
        type: "warning",
        runId: scope.runId,
        ts: new Date().toISOString(),
        message: `${spec.name}: attempt ${n.attempt} failed (${n.reason}); retry ${n.attempt} of ${n.of} in ${formatDelay(n.delayMs)} (${n.strategy} backoff)`,
      }),
    );
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
