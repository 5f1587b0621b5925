import type { LoadPlan } from "../core/load-plan.js";
import { stoppedOutcome } from "../core/run-outcome.js";
import { summarize, toStored, type Window } from "../core/window.js";
import { defineRunKind, type KindResult, type RunScope } from "../engine/run-kind.js";
import type { LoadOutcome } from "../load/coordinator.js";
import type { RunDetail } from "../store/store.js";

/** A load run: the plan, the file or URL it came from, and the group it joins. */
export interface LoadRun {
  plan: LoadPlan;
  source: string;
  group?: string | undefined;
}

export interface LoadOptions {
  /** Joins the group (`--group`) once the run id is known; its abort judges the merged view. */
  join(runId: string): Promise<{ abort: AbortSignal; leave(): Promise<void> } | undefined>;
  /** Each merged one-second window, after it is recorded (progress lines, NDJSON, HDR logs). */
  onWindow(window: Window, index: number): void;
  /** The whole outcome, before the run is recorded as finished (the CLI's summary text and files). */
  onOutcome(outcome: LoadOutcome): void;
}

function reasonOf(outcome: LoadOutcome, failed: boolean, group: string | undefined, halted: boolean): string {
  if (outcome.interrupted) return halted ? "halted by withstand halt" : "interrupted by a signal";
  if (outcome.abortedBy)
    return `threshold ${outcome.abortedBy} crossed (abortOnFail${group ? ", judged on the group's merged view" : ""})`;
  return failed ? "thresholds failed" : "all thresholds passed";
}

async function execute(run: LoadRun, scope: RunScope, options: Partial<LoadOptions>): Promise<KindResult> {
  const { plan } = run;
  const started = Date.now();
  const [{ runLoad }, { summaryJson }] = await Promise.all([
    import("../load/coordinator.js"),
    import("../load/report.js"),
  ]);
  const group = await options.join?.(scope.runId);
  const outcome = await runLoad(plan, {
    signal: scope.signal,
    groupAbort: group?.abort,
    onWindow: (w, index) => {
      scope.window("load", toStored(w));
      const s = summarize(w);
      scope.emit({
        type: "load-window",
        runId: scope.runId,
        ts: new Date(w.end).toISOString(),
        name: plan.name,
        count: s.count,
        errors: s.errors,
        p99Ms: s.latencyMs.p99,
      });
      options.onWindow?.(w, index);
    },
  });
  await group?.leave();
  options.onOutcome?.(outcome);
  const failed = outcome.thresholds.some((t) => !t.ok) || outcome.abortedBy !== undefined;
  return {
    outcome: outcome.interrupted
      ? stoppedOutcome(scope.signal.reason)
      : failed
        ? "thresholds-failed"
        : "passed",
    reason: reasonOf(outcome, failed, run.group, scope.signal.reason === "halted"),
    result: summaryJson(plan, outcome.total, outcome.thresholds, outcome.sent, outcome.abortedBy),
    durationMs: Date.now() - started,
  };
}

function thresholdChecks(run: RunDetail) {
  const metrics = (
    run.result as { metrics?: Record<string, { thresholds?: Record<string, { ok: boolean }> }> }
  )?.metrics;
  return Object.entries(metrics ?? {}).flatMap(([metric, m]) =>
    Object.entries(m.thresholds ?? {}).map(([expr, t]) => ({
      suite: "thresholds",
      name: `${metric} ${expr}`,
      ok: t.ok,
      message: t.ok ? "ok" : `threshold ${metric} ${expr} crossed`,
      seconds: 0,
    })),
  );
}

/** Open-model load with k6 thresholds (`kind: LoadTest`, or a URL on the command line). */
export const loadKind = defineRunKind<LoadRun, LoadOptions>({
  name: "load",
  documentKinds: ["LoadTest"],
  outcomes: ["passed", "thresholds-failed", "interrupted", "halted", "deadline", "invalid", "crashed"],
  dryRuns: false,
  async load(file) {
    const { loadLoadTestFile } = await import("../documents/load-test-file.js");
    const r = await loadLoadTestFile(file);
    return { spec: r.plan ? { plan: r.plan, source: file } : undefined, diagnostics: r.diagnostics };
  },
  header: ({ plan, source, group }) => ({
    title: plan.name,
    source,
    started: {
      thresholds: plan.thresholds,
      ...(group ? { group } : {}),
      ...(plan.segment ? { segment: `${plan.segment.index}/${plan.segment.count}` } : {}),
    },
  }),
  execute,
  view: { label: "load tests", checks: thresholdChecks },
});
