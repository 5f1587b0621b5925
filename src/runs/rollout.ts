import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import type { RolloutSpec } from "../core/rollout.js";
import { type Diagnostic, hasErrors } from "../documents/diagnostic.js";
import { defineRunKind, type KindResult, type RunScope } from "../engine/run-kind.js";
import type { ControlServer, RolloutStatus } from "../rollout/control.js";
import type { RolloutController, RolloutResult } from "../rollout/controller.js";
import type { RunDetail } from "../store/store.js";

export interface RolloutOptions {
  /** Files of Argo AnalysisTemplates the analyses name. */
  templates: string[];
  /** Called with the router's address once it listens (the demo starts its load here). */
  onListening(address: string, metrics: string | undefined): void;
  /** Awaited after the decision, before the router closes. */
  beforeClose(): Promise<void>;
  /** Every few seconds and at the end: the traffic each version saw. */
  onTraffic(status: RolloutStatus): void;
  /** The decision, before the run is recorded as finished (the CLI's decision line). */
  onResult(result: RolloutResult): void;
}

interface Prepared {
  controller: RolloutController;
  control: ControlServer;
}

/** Claims the rollout's name (its control socket) before anything is recorded. */
async function prepare(
  spec: RolloutSpec,
  scope: RunScope,
  options: Partial<RolloutOptions>,
): Promise<Prepared> {
  const [{ ControlServer }, { RolloutController }] = await Promise.all([
    import("../rollout/control.js"),
    import("../rollout/controller.js"),
  ]);
  let control: ControlServer | undefined;
  const controller: RolloutController = new RolloutController(spec, {
    runId: scope.runId,
    bus: scope.bus,
    onChange: () => control?.write(),
    onListening: (address) => options.onListening?.(address, controller.metricsAddress),
    ...(options.beforeClose ? { beforeClose: options.beforeClose } : {}),
  });
  control = new ControlServer(spec.name, {
    status: () => controller.status(),
    promote: (full, skip) => controller.promote(full, skip),
    abort: (reason) => controller.abort(reason),
  });
  try {
    await control.start();
  } catch (err) {
    throw new WithstandError("WS_USAGE", `${spec.file}: ${(err as Error).message}`, EXIT.invalid, {
      cause: err,
    });
  }
  const started = control;
  scope.defer(() => started.close());
  return { controller, control };
}

async function execute(
  spec: RolloutSpec,
  scope: RunScope,
  options: Partial<RolloutOptions>,
  prepared?: unknown,
): Promise<KindResult> {
  const { controller, control } = prepared as Prepared;
  // Ctrl-C, SIGTERM, `withstand halt` and a game day's tripped stop condition (the same lever) abort the
  // rollout: the weight drops to 0 at once.
  const stop = () =>
    controller.abort(
      scope.signal.reason === "halted"
        ? "halted (withstand halt, or a game day's stop condition)"
        : scope.signal.reason === "deadline"
          ? "deadline reached"
          : "interrupted (Ctrl-C)",
    );
  // A stop that came before the rollout began (while a game day's step was starting) aborts it at once.
  if (scope.signal.aborted) stop();
  else scope.signal.addEventListener("abort", stop, { once: true });
  const ticker = setInterval(() => {
    control.write();
    options.onTraffic?.(controller.status());
  }, 5000);
  ticker.unref();
  scope.defer(() => clearInterval(ticker));
  const result = await controller.run();
  options.onResult?.(result);
  return {
    outcome: result.decision,
    reason: result.reason,
    durationMs: result.durationMs,
    result: {
      name: spec.name,
      decision: result.decision,
      reason: result.reason,
      status: result.status,
      analyses: result.analyses,
      ...(spec.change
        ? { revision: spec.change.revision, commitTime: spec.change.commitTime, commitFrom: spec.change.from }
        : {}),
    },
  };
}

/**
 * The pact files a rollout's contract gates read (local ones) are read before anything starts: a
 * missing or broken pact is bad input (exit 2), not a canary's failure.
 */
async function checkPacts(
  spec: RolloutSpec,
  diagnostics: Diagnostic[],
): Promise<{ spec?: RolloutSpec; diagnostics: Diagnostic[] }> {
  const analyses = [
    ...spec.steps.flatMap((s) => (s.kind === "analysis" ? s.analyses : [])),
    ...(spec.background?.analyses ?? []),
  ];
  // A gate on the baseline needs one: said at the metric, not found at the first measurement.
  const noBaseline: Diagnostic[] = spec.baseline
    ? []
    : analyses.flatMap((a) => {
        if (a.provider?.type !== "pact" || a.provider.version !== "baseline") return [];
        const m = /^(.*):(\d+):(\d+)$/.exec(a.loc);
        return [
          {
            file: m?.[1] ?? spec.file,
            line: Number(m?.[2] ?? 1),
            col: Number(m?.[3] ?? 1),
            path: "provider.pact.version",
            message: `verifies the baseline, and the rollout has none (expected spec.baseline, or version: canary)`,
            severity: "error" as const,
          },
        ];
      });
  if (noBaseline.length > 0) return { diagnostics: [...diagnostics, ...noBaseline] };
  const local = [
    ...new Set(
      analyses.flatMap((a) =>
        a.provider?.type === "pact" ? a.provider.pacts.filter((p) => !/^https?:\/\//i.test(p)) : [],
      ),
    ),
  ];
  if (local.length === 0) return { spec, diagnostics };
  const { loadPacts } = await import("../pact/load.js");
  const found = (await loadPacts(local)).diagnostics;
  return hasErrors(found) ? { diagnostics: [...diagnostics, ...found] } : { spec, diagnostics };
}

/** A Rollout file with its AnalysisTemplates, and the pact files its contract gates read. */
export async function loadRollout(
  file: string,
  templates: readonly string[],
): Promise<{ spec?: RolloutSpec; diagnostics: Diagnostic[] }> {
  const read = await (await import("../documents/rollout.js")).loadRolloutFile(file, templates);
  return read.spec ? checkPacts(read.spec, read.diagnostics) : read;
}

function analysisChecks(run: RunDetail) {
  return run.events.flatMap((e) => {
    if (e.type !== "rollout-measurement") return [];
    const suite = e.step < 0 ? "background analysis" : `step ${e.step + 1} analysis`;
    const own = {
      suite,
      name: `measurement ${e.index + 1}`,
      ok: e.phase === "Successful",
      message: e.reason,
      seconds: 0,
    };
    // A pact gate: one check per broken interaction, with its mismatches (path, expected, actual).
    const broken = (e.contract?.interactions ?? []).filter(
      (i) => i.status === "failed" || i.status === "error",
    );
    return [
      own,
      ...broken.map((i) => ({
        suite: `${suite}: ${e.analysis} (pact, ${e.contract?.version ?? "canary"})`,
        name: `${i.consumer}: ${i.description}`,
        ok: false,
        message:
          i.error ??
          i.mismatches
            .map(
              (m) =>
                `${m.type}${m.path ? ` ${m.path}` : ""}: ${m.mismatch} (expected ${shown(m.expected)}, actual ${shown(m.actual)})`,
            )
            .join("; "),
        seconds: 0,
      })),
    ];
  });
}

function shown(v: unknown): string {
  return v === undefined
    ? "nothing"
    : typeof v === "string"
      ? JSON.stringify(v)
      : (JSON.stringify(v) ?? String(v));
}

/** A canary rollout (`kind: Rollout`): router, steps, analyses, automatic rollback. */
export const rolloutKind = defineRunKind<RolloutSpec, RolloutOptions>({
  name: "rollout",
  documentKinds: ["Rollout"],
  outcomes: ["promoted", "rolled-back", "aborted", "not-started", "invalid", "crashed"],
  dryRuns: false,
  load: async (file, options) => {
    const read = await (await import("../documents/rollout.js")).loadRolloutFile(
      file,
      options.templates ?? [],
    );
    return read.spec ? checkPacts(read.spec, read.diagnostics) : read;
  },
  header: (spec) => ({ title: `rollout ${spec.name}`, source: spec.file }),
  prepare,
  execute,
  view: { label: "rollouts", checks: analysisChecks },
});
