import { WithstandError } from "../core/errors.js";
import { EXIT } from "../core/exit-codes.js";
import type { RolloutSpec } from "../core/rollout.js";
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
  // Ctrl-C, SIGTERM and `withstand halt` abort the rollout: the weight drops to 0 at once.
  scope.signal.addEventListener(
    "abort",
    () =>
      controller.abort(scope.signal.reason === "halted" ? "halted (withstand halt)" : "interrupted (Ctrl-C)"),
    { once: true },
  );
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

function analysisChecks(run: RunDetail) {
  return run.events.flatMap((e) =>
    e.type === "rollout-measurement"
      ? [
          {
            suite: e.step < 0 ? "background analysis" : `step ${e.step + 1} analysis`,
            name: `measurement ${e.index + 1}`,
            ok: e.phase === "Successful",
            message: e.reason,
            seconds: 0,
          },
        ]
      : [],
  );
}

/** A canary rollout (`kind: Rollout`): router, steps, analyses, automatic rollback. */
export const rolloutKind = defineRunKind<RolloutSpec, RolloutOptions>({
  name: "rollout",
  documentKinds: ["Rollout"],
  outcomes: ["promoted", "rolled-back", "aborted", "not-started", "invalid", "crashed"],
  dryRuns: false,
  load: async (file, options) =>
    (await import("../documents/rollout.js")).loadRolloutFile(file, options.templates ?? []),
  header: (spec) => ({ title: `rollout ${spec.name}`, source: spec.file }),
  prepare,
  execute,
  view: { label: "rollouts", checks: analysisChecks },
});
