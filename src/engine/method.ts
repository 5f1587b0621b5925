import type { Phase } from "../core/events.js";
import type { ExperimentSpec, RawActivity } from "../core/experiment.js";
import type { ActivityRun, SteadyState } from "../core/journal.js";
import type { SafetyRegistry } from "../safety/registry.js";
import { runActivity } from "./activity.js";
import { type RunContext, sleep } from "./context.js";

export interface MethodOutcome {
  runs: ActivityRun[];
  /** Hypothesis checks made during the method (continuously / during-method-only). */
  during: SteadyState[];
  /** The first method probe out of its tolerance (native documents). */
  methodProbeMiss?: string | undefined;
  /** The first probe not met by a check during the method. */
  continuousMiss?: string | undefined;
  /** An error that stopped the method (a fault that could not apply, bad input found at run time). */
  fatal?: unknown;
}

/**
 * Runs the method: activities in order (background ones alongside), the hypothesis checked every
 * `frequencyMs` during it when asked, until the last activity and every timed fault are done, or
 * a stop, a method probe out of tolerance, or (fail fast) a missed check ends it. Untimed faults are
 * reverted at its end.
 */
export async function runMethod(
  spec: ExperimentSpec,
  ctx: RunContext,
  opts: {
    registry: SafetyRegistry;
    signal: AbortSignal;
    during?:
      | {
          frequencyMs: number;
          failFast: boolean;
          check: (phase: Phase, signal: AbortSignal) => Promise<SteadyState>;
        }
      | undefined;
  },
): Promise<MethodOutcome> {
  const out: MethodOutcome = { runs: [], during: [] };
  const method = new AbortController();
  const onStop = () => method.abort();
  opts.signal.addEventListener("abort", onStop, { once: true });
  const during = opts.during ? checkDuring(opts.during, method, out) : Promise.resolve();
  const background: Promise<void>[] = [];
  const record = async (activity: RawActivity) => {
    const result = await runActivity(activity, "method", "method", ctx, method.signal);
    out.runs.push(result.run);
    if (result.toleranceChecked && result.run.tolerance_met === false && out.methodProbeMiss === undefined) {
      out.methodProbeMiss = String(result.run.activity.name);
      method.abort();
    }
  };
  try {
    for (const activity of spec.method) {
      if (method.signal.aborted) break;
      if (activity.raw.background === true) {
        background.push(
          record(activity).catch((err: unknown) => {
            out.fatal ??= err;
            method.abort();
          }),
        );
      } else await record(activity);
    }
    await Promise.all(background);
    // Timed faults end on their own; the method is over when the last of them is reverted.
    await Promise.race([
      opts.registry.settled(),
      new Promise((r) => method.signal.addEventListener("abort", r, { once: true })),
    ]);
  } catch (err) {
    out.fatal ??= err;
  } finally {
    await Promise.allSettled(background);
    method.abort();
    await during;
    opts.signal.removeEventListener("abort", onStop);
    await opts.registry.revertUntimed("method ended");
  }
  return out;
}

async function checkDuring(
  d: NonNullable<Parameters<typeof runMethod>[2]["during"]>,
  method: AbortController,
  out: MethodOutcome,
): Promise<void> {
  while (!method.signal.aborted) {
    await sleep(d.frequencyMs, method.signal);
    if (method.signal.aborted) break;
    const state = await d.check("hypothesis-during", method.signal);
    // A check cut short by the end of the method says nothing about the system.
    if (method.signal.aborted) break;
    out.during.push(state);
    if (!state.steady_state_met && out.continuousMiss === undefined) {
      out.continuousMiss = String(state.probes.at(-1)?.activity.name ?? "?");
      if (d.failFast) method.abort();
    }
  }
}
