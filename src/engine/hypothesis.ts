import { ConfigError } from "../core/errors.js";
import type { Phase } from "../core/events.js";
import type { ExperimentSpec, SloHypothesis } from "../core/experiment.js";
import type { ActivityRun, SteadyState } from "../core/journal.js";
import type { Slo } from "../core/slo-model.js";
import { judgeSlo, loadHypothesisSlo } from "../slo/hypothesis.js";
import { runActivity } from "./activity.js";
import type { RunContext } from "./context.js";

/**
 * Checks an experiment's steady-state hypothesis: its SLO (the error budget the method burns, judged
 * over the method's window, so only during or after it) and then its probes, in order, stopping at
 * the first that is not met. Every check emits `hypothesis-checked`.
 */
export class HypothesisChecker {
  private methodStartedAt = Date.now();

  private constructor(
    private readonly spec: ExperimentSpec,
    private readonly ctx: RunContext,
    private readonly slo: { hypothesis: SloHypothesis; def: Slo } | undefined,
  ) {}

  static async open(spec: ExperimentSpec, ctx: RunContext): Promise<HypothesisChecker> {
    const hypothesis = spec.hypothesis?.slo;
    if (!hypothesis) return new HypothesisChecker(spec, ctx, undefined);
    try {
      return new HypothesisChecker(spec, ctx, { hypothesis, def: await loadHypothesisSlo(hypothesis) });
    } catch (err) {
      throw new ConfigError((err as Error).message, { cause: err });
    }
  }

  /** The SLO is judged from here on. */
  methodStarted(): void {
    this.methodStartedAt = Date.now();
  }

  async check(phase: Phase, signal: AbortSignal): Promise<SteadyState> {
    const state: SteadyState = { steady_state_met: true, probes: [] };
    const slo = await this.sloProbe(phase);
    if (slo) {
      state.probes.push(slo);
      if (slo.tolerance_met === false) return this.checked(phase, { ...state, steady_state_met: false });
    }
    for (const probe of this.spec.hypothesis?.probes ?? []) {
      if (signal.aborted) break;
      const { run } = await runActivity(probe, phase, "hypothesis", this.ctx, signal);
      state.probes.push(run);
      if (run.status === "failed" || run.tolerance_met === false) {
        state.steady_state_met = false;
        break;
      }
    }
    return this.checked(phase, state);
  }

  private checked(phase: Phase, state: SteadyState): SteadyState {
    this.ctx.bus.emit({
      type: "hypothesis-checked",
      runId: this.ctx.runId,
      ts: new Date().toISOString(),
      phase,
      met: state.steady_state_met,
      title: this.spec.hypothesis?.title ?? "",
    });
    return state;
  }

  private async sloProbe(phase: Phase): Promise<ActivityRun | undefined> {
    if (!this.slo || phase === "hypothesis-before") return undefined;
    const { hypothesis, def } = this.slo;
    const { bus, runId } = this.ctx;
    const name = `slo:${def.name}`;
    const started = Date.now();
    bus.emit({
      type: "activity-started",
      runId,
      ts: new Date(started).toISOString(),
      phase,
      name,
      activityType: "probe",
      background: false,
    });
    let met: boolean;
    let reason: string;
    let output: unknown = null;
    try {
      const v = await judgeSlo(hypothesis, def, this.methodStartedAt, started, this.ctx.loads);
      met = v.met;
      reason = v.reason;
      output = v.output;
    } catch (err) {
      met = false;
      reason = (err as Error).message;
    }
    const ended = Date.now();
    bus.emit({
      type: "activity-finished",
      runId,
      ts: new Date(ended).toISOString(),
      phase,
      name,
      status: "succeeded",
      durationMs: ended - started,
      toleranceMet: met,
      detail: reason,
    });
    return {
      activity: {
        type: "probe",
        name,
        slo: { file: hypothesis.file, name: hypothesis.name, "max-budget-burn": hypothesis.maxBudgetBurn },
      },
      output,
      start: new Date(started).toISOString(),
      end: new Date(ended).toISOString(),
      duration: (ended - started) / 1000,
      status: "succeeded",
      tolerance_met: met,
    };
  }
}
