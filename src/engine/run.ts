import { hostname, platform, release } from "node:os";
import { TargetError, WithstandError } from "../core/errors.js";
import type { EventBus, Phase } from "../core/events.js";
import type { ExitCode } from "../core/exit-codes.js";
import type {
  ExperimentSpec,
  HypothesisStrategy,
  RawActivity,
  RollbackStrategy,
} from "../core/experiment.js";
import type { ActivityRun, Journal, SteadyState } from "../core/journal.js";
import type { ProxyDriver } from "../core/proxy-driver.js";
import { redact } from "../core/redact.js";
import type { Slo } from "../core/slo-model.js";
import { substitute } from "../core/substitute.js";
import { decide, type HypothesisCheck, PHASES, playsRollbacks, type RunFacts } from "../core/verdict.js";
import { VERSION } from "../core/version.js";
import type { Window } from "../core/window.js";
import { ApiProxyDriver, LocalProxyDriver } from "../faults/proxy-drivers.js";
import { closeProbeKinds } from "../probes/index.js";
import { ProxyCollection } from "../proxy/collection.js";
import { SafetyRegistry } from "../safety/registry.js";
import { stateDir } from "../safety/state.js";
import { judgeSlo, loadHypothesisSlo } from "../slo/hypothesis.js";
import { runActivity } from "./activity.js";
import { ConfigError, resolveConfiguration } from "./configuration.js";
import { type RunContext, sleep } from "./context.js";

import type { StopReason } from "./session.js";

export type { StopReason };

export interface RunOptions {
  runId: string;
  bus: EventBus;
  /** Aborting it stops the run; its reason is a StopReason. */
  signal: AbortSignal;
  /** Aborting it also stops rollbacks (a second Ctrl-C). */
  hardSignal?: AbortSignal;
  hypothesisStrategy?: HypothesisStrategy | undefined;
  hypothesisFrequencyMs?: number | undefined;
  failFast?: boolean | undefined;
  rollbackStrategy?: RollbackStrategy | undefined;
  dryRun?: boolean;
  allowRemote?: boolean;
  overrides?: { configuration: Record<string, unknown>; secrets: Record<string, unknown> };
  stateRoot?: string;
  onWindow?: (series: string, window: Window) => void;
}

export interface RunResult {
  journal: Journal;
  exitCode: ExitCode;
  /** Set when the run stopped on bad input (a selector that matched nothing, a missing variable). */
  usageError?: string;
}

class MethodStop extends Error {}

function toExperimentEcho(spec: ExperimentSpec): Record<string, unknown> {
  return spec.raw;
}

/** Runs an experiment: hypothesis, method, hypothesis, rollbacks; faults always revert, whatever happens. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const strategy = opts.hypothesisStrategy ?? spec.runtime.hypothesisStrategy ?? "default";
  const rollbackStrategy = opts.rollbackStrategy ?? spec.runtime.rollbackStrategy ?? "default";
  const frequencyMs = opts.hypothesisFrequencyMs ?? spec.runtime.hypothesisFrequencyMs ?? 1000;
  const failFast = opts.failFast ?? spec.runtime.failFast ?? false;
  const bus = opts.bus;
  const emit = bus.emit.bind(bus);
  const registry = new SafetyRegistry(opts.stateRoot ?? stateDir(), opts.runId, bus, spec.title).open();
  // Every stop (Ctrl-C, SIGTERM, the deadline, halt) reverts every fault at once, before the run waits
  // for whatever activity is in flight (a probe blocked on the paused process may take its whole timeout).
  const revertOnStop = () => {
    registry.revertAll("run stopped").catch(() => undefined);
  };
  opts.signal.addEventListener("abort", revertOnStop, { once: true });
  emit({
    type: "run-started",
    runId: opts.runId,
    ts: new Date(started).toISOString(),
    title: spec.title,
    source: spec.file,
  });

  const steady: Journal["steady_states"] = { before: null, after: null, during: [] };
  const methodRuns: ActivityRun[] = [];
  const rollbackRuns: ActivityRun[] = [];
  // What happened; the verdict is decided from it once, by a pure function (core/verdict.ts).
  const facts: RunFacts = { hasHypothesis: spec.hypothesis !== undefined, failFast };
  const phases = PHASES[strategy];
  let secretValues: string[] = [];

  let closeProxies = async (): Promise<void> => undefined;
  const stopReason = (): StopReason => (opts.signal.reason as StopReason) ?? "interrupted";
  try {
    const resolved = resolveConfiguration(spec, opts.overrides ?? { configuration: {}, secrets: {} });
    secretValues = resolved.secretValues;
    const proxies = await startProxies(spec, [resolved.configuration, resolved.secrets]);
    closeProxies = proxies.close;
    const ctx: RunContext = {
      runId: opts.runId,
      bus,
      registry,
      native: spec.flavour === "native",
      dryRun: opts.dryRun ?? false,
      allowRemote: opts.allowRemote ?? false,
      configuration: resolved.configuration,
      secrets: resolved.secrets,
      secretValues,
      saved: {},
      loads: new Map(),
      onWindow: opts.onWindow ?? (() => undefined),
      proxies: proxies.driver,
    };

    const sloHypothesis = spec.hypothesis?.slo;
    let sloDef: Slo | undefined;
    if (sloHypothesis) {
      try {
        sloDef = await loadHypothesisSlo(sloHypothesis);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    let methodStartedAt = Date.now();
    /** The SLO is judged over the method's window, so only after (or during) the method. */
    const sloRun = async (phase: Phase): Promise<ActivityRun | undefined> => {
      if (!sloHypothesis || !sloDef || phase === "hypothesis-before") return undefined;
      const name = `slo:${sloDef.name}`;
      const started = Date.now();
      emit({
        type: "activity-started",
        runId: opts.runId,
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
        const v = await judgeSlo(sloHypothesis, sloDef, methodStartedAt, started, ctx.loads);
        met = v.met;
        reason = v.reason;
        output = v.output;
      } catch (err) {
        met = false;
        reason = (err as Error).message;
      }
      const ended = Date.now();
      emit({
        type: "activity-finished",
        runId: opts.runId,
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
          slo: {
            file: sloHypothesis.file,
            name: sloHypothesis.name,
            "max-budget-burn": sloHypothesis.maxBudgetBurn,
          },
        },
        output,
        start: new Date(started).toISOString(),
        end: new Date(ended).toISOString(),
        duration: (ended - started) / 1000,
        status: "succeeded",
        tolerance_met: met,
      };
    };

    const hypothesis = async (phase: Phase, signal: AbortSignal): Promise<SteadyState> => {
      const state: SteadyState = { steady_state_met: true, probes: [] };
      const slo = await sloRun(phase);
      if (slo) {
        state.probes.push(slo);
        if (slo.tolerance_met === false) {
          state.steady_state_met = false;
          emit({
            type: "hypothesis-checked",
            runId: opts.runId,
            ts: new Date().toISOString(),
            phase,
            met: false,
            title: spec.hypothesis?.title ?? "",
          });
          return state;
        }
      }
      for (const probe of spec.hypothesis?.probes ?? []) {
        if (signal.aborted) break;
        const { run } = await runActivity(probe, phase, "hypothesis", ctx, signal);
        state.probes.push(run);
        if (run.status === "failed" || run.tolerance_met === false) {
          state.steady_state_met = false;
          break;
        }
      }
      emit({
        type: "hypothesis-checked",
        runId: opts.runId,
        ts: new Date().toISOString(),
        phase,
        met: state.steady_state_met,
        title: spec.hypothesis?.title ?? "",
      });
      return state;
    };

    if (spec.hypothesis && phases.before) {
      steady.before = await hypothesis("hypothesis-before", opts.signal);
      if (opts.signal.aborted) throw new MethodStop();
      facts.before = checkOf(steady.before);
    }

    if (facts.before?.met !== false) {
      methodStartedAt = Date.now();
      const method = new AbortController();
      const onStop = () => method.abort();
      opts.signal.addEventListener("abort", onStop, { once: true });
      let continuousMiss: string | undefined;
      const during =
        spec.hypothesis && phases.during
          ? (async () => {
              while (!method.signal.aborted) {
                await sleep(frequencyMs, method.signal);
                if (method.signal.aborted) break;
                const state = await hypothesis("hypothesis-during", method.signal);
                // A check cut short by the end of the method says nothing about the system.
                if (method.signal.aborted) break;
                steady.during.push(state);
                if (!state.steady_state_met && continuousMiss === undefined) {
                  continuousMiss = String(state.probes.at(-1)?.activity.name ?? "?");
                  if (failFast) method.abort();
                }
              }
            })()
          : Promise.resolve();
      const background: Promise<void>[] = [];
      let methodProbeMiss: string | undefined;
      let fatal: unknown;
      const record = async (activity: RawActivity) => {
        const result = await runActivity(activity, "method", "method", ctx, method.signal);
        methodRuns.push(result.run);
        if (result.toleranceChecked && result.run.tolerance_met === false && methodProbeMiss === undefined) {
          methodProbeMiss = String(result.run.activity.name);
          method.abort();
        }
      };
      try {
        for (const activity of spec.method) {
          if (method.signal.aborted) break;
          if (activity.raw.background === true) {
            background.push(
              record(activity).catch((err: unknown) => {
                fatal ??= err;
                method.abort();
              }),
            );
          } else await record(activity);
        }
        await Promise.all(background);
        // Timed faults end on their own; the method is over when the last of them is reverted.
        await Promise.race([
          registry.settled(),
          new Promise((r) => method.signal.addEventListener("abort", r, { once: true })),
        ]);
      } catch (err) {
        fatal ??= err;
      } finally {
        await Promise.allSettled(background);
        method.abort();
        await during;
        opts.signal.removeEventListener("abort", onStop);
        await registry.revertUntimed("method ended");
      }
      if (fatal) throw fatal;
      if (opts.signal.aborted) throw new MethodStop();
      facts.methodProbeMiss = methodProbeMiss;
      facts.continuousMiss = continuousMiss;
      await registry.revertAll("method ended");
      if (spec.hypothesis && phases.after) {
        steady.after = await hypothesis("hypothesis-after", opts.signal);
        if (opts.signal.aborted) throw new MethodStop();
        facts.after = checkOf(steady.after);
      }
    }

    await registry.revertAll("run ending");
    if (playsRollbacks(rollbackStrategy, decide(facts))) await rollbacks(spec, ctx, opts, rollbackRuns);
  } catch (err) {
    await registry.revertAll("run stopped");
    if (err instanceof MethodStop || opts.signal.aborted) facts.stopped = stopReason();
    else if (err instanceof TargetError) facts.usageError = `${err.loc}: ${err.message}`;
    else if (err instanceof WithstandError) facts.usageError = err.message;
    else facts.crash = (err as Error).stack ?? String(err);
    if (playsRollbacks(rollbackStrategy, decide(facts)))
      await rollbacks(spec, minimalContext(spec, opts, registry, secretValues), opts, rollbackRuns);
  } finally {
    opts.signal.removeEventListener("abort", revertOnStop);
    await registry.close();
    await closeProxies();
    await closeProbeKinds();
  }

  const ended = Date.now();
  const { status, deviated, outcome, reason, exitCode } = decide(facts);
  const usageError = facts.usageError;
  const journal: Journal = {
    "chaoslib-version": `withstand-${VERSION}`,
    platform: `${platform()} ${release()}`,
    node: hostname(),
    experiment: redact(toExperimentEcho(spec), secretValues),
    start: new Date(started).toISOString(),
    end: new Date(ended).toISOString(),
    duration: (ended - started) / 1000,
    status,
    deviated,
    steady_states: steady,
    run: methodRuns,
    rollbacks: rollbackRuns,
    withstand: {
      run_id: opts.runId,
      version: VERSION,
      outcome,
      reason: redact(reason, secretValues),
      exit_code: exitCode,
      faults: registry.faultRecords(),
    },
  };
  emit({
    type: "run-finished",
    runId: opts.runId,
    ts: journal.end,
    status,
    deviated,
    outcome,
    reason: journal.withstand.reason,
    exitCode,
    durationMs: ended - started,
  });
  return usageError !== undefined
    ? { journal, exitCode, usageError: redact(usageError, secretValues) }
    : { journal, exitCode };
}

/** A hypothesis check as the verdict sees it. */
function checkOf(s: SteadyState): HypothesisCheck {
  return {
    met: s.steady_state_met,
    probeFailed: s.probes.some((p) => p.status === "failed"),
    probe: String(s.probes.at(-1)?.activity.name ?? "?"),
  };
}

/** In-process proxies from the experiment's `proxies:`, or a driver for its `proxy-api:`. */
async function startProxies(
  spec: ExperimentSpec,
  scopes: Record<string, unknown>[],
): Promise<{ driver?: ProxyDriver; close: () => Promise<void> }> {
  if (spec.proxyApi) {
    const url = String(substitute(spec.proxyApi, scopes));
    if (!/^https?:\/\//.test(url)) {
      throw new ConfigError(
        `${spec.file}: spec.proxy-api: got ${JSON.stringify(url)} (expected an http:// URL of a proxy API)`,
      );
    }
    return { driver: new ApiProxyDriver(url.replace(/\/$/, "")), close: async () => undefined };
  }
  if (spec.proxies.length === 0) return { close: async () => undefined };
  const collection = new ProxyCollection();
  const result = await collection.populate(substitute(spec.proxies, scopes));
  if (result.error) {
    await collection.close();
    throw new ConfigError(`${spec.file}: spec.proxies: ${result.error.message}`);
  }
  return { driver: new LocalProxyDriver(collection), close: () => collection.close() };
}

function minimalContext(
  spec: ExperimentSpec,
  opts: RunOptions,
  registry: SafetyRegistry,
  secretValues: string[],
): RunContext {
  let resolved = { configuration: {} as Record<string, unknown>, secrets: {} as Record<string, unknown> };
  try {
    resolved = resolveConfiguration(spec, opts.overrides ?? { configuration: {}, secrets: {} });
  } catch {
    // Configuration could not be resolved: rollbacks run with what they have.
  }
  return {
    runId: opts.runId,
    bus: opts.bus,
    registry,
    native: spec.flavour === "native",
    dryRun: opts.dryRun ?? false,
    allowRemote: opts.allowRemote ?? false,
    configuration: resolved.configuration,
    secrets: resolved.secrets,
    secretValues,
    saved: {},
    loads: new Map(),
    onWindow: opts.onWindow ?? (() => undefined),
  };
}

/** Rollbacks all run, even when one fails; only a hard stop (second Ctrl-C) cuts them short. */
async function rollbacks(
  spec: ExperimentSpec,
  ctx: RunContext,
  opts: RunOptions,
  out: ActivityRun[],
): Promise<void> {
  const signal = opts.hardSignal ?? new AbortController().signal;
  for (const activity of spec.rollbacks) {
    if (signal.aborted) break;
    try {
      const { run } = await runActivity(activity, "rollbacks", "rollback", ctx, signal);
      out.push(run);
    } catch (err) {
      out.push({
        activity: activity.raw,
        output: null,
        start: new Date().toISOString(),
        end: new Date().toISOString(),
        duration: 0,
        status: "failed",
        exception: [String((err as Error).message)],
      });
    }
  }
}
