import { hostname, platform, release } from "node:os";
import { type ErrorCode, TargetError, WithstandError } from "../core/errors.js";
import type { EventBus } from "../core/events.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import type { ExperimentSpec, HypothesisStrategy, RollbackStrategy } from "../core/experiment.js";
import type { ActivityRun, Journal, SteadyState } from "../core/journal.js";
import { redact } from "../core/redact.js";
import { NO_SERVICES, type ServiceLookup } from "../core/service.js";
import { decide, type HypothesisCheck, PHASES, playsRollbacks, type RunFacts } from "../core/verdict.js";
import { VERSION } from "../core/version.js";
import { closeProbeKinds } from "../probes/index.js";
import { SafetyRegistry } from "../safety/registry.js";
import { stateDir } from "../safety/state.js";
import { runActivity } from "./activity.js";
import { resolveConfiguration } from "./configuration.js";
import type { RunContext } from "./context.js";
import { HypothesisChecker } from "./hypothesis.js";
import { runMethod } from "./method.js";
import { dirOf, probeServices } from "./probe-services.js";

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
  /** The run-scoped services the session started for the document (proxies, DNS), by name. */
  services?: ServiceLookup | undefined;
}

export interface RunResult {
  journal: Journal;
  exitCode: ExitCode;
  /** Set when the run stopped on bad input (a selector that matched nothing, a missing variable). */
  usageError?: string;
  /** The code of that bad input (WS_TARGET_NO_MATCH, WS_CONFIG, ...), printed with it. */
  usageCode?: ErrorCode;
}

/** Thrown to leave the method when the run is stopped; never reaches the user. */
class MethodStop extends WithstandError {
  constructor() {
    super("WS_METHOD_STOPPED", "the method was stopped", EXIT.aborted);
  }
}

function toExperimentEcho(spec: ExperimentSpec): Record<string, unknown> {
  return spec.raw;
}

/**
 * Executes an experiment inside a session (engine/lifecycle.ts, which announces and records the run):
 * hypothesis, method, hypothesis, rollbacks; faults always revert, whatever happens.
 */
export async function executeExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const strategy = opts.hypothesisStrategy ?? spec.runtime.hypothesisStrategy ?? "default";
  const rollbackStrategy = opts.rollbackStrategy ?? spec.runtime.rollbackStrategy ?? "default";
  const frequencyMs = opts.hypothesisFrequencyMs ?? spec.runtime.hypothesisFrequencyMs ?? 1000;
  const failFast = opts.failFast ?? spec.runtime.failFast ?? false;
  const bus = opts.bus;
  const registry = new SafetyRegistry(opts.stateRoot ?? stateDir(), opts.runId, bus, spec.title).open();
  // Every stop (Ctrl-C, SIGTERM, the deadline, halt) reverts every fault at once, before the run waits
  // for whatever activity is in flight (a probe blocked on the paused process may take its whole timeout).
  const revertOnStop = () => {
    registry.revertAll("run stopped").catch(() => undefined);
  };
  opts.signal.addEventListener("abort", revertOnStop, { once: true });

  const steady: Journal["steady_states"] = { before: null, after: null, during: [] };
  const methodRuns: ActivityRun[] = [];
  const rollbackRuns: ActivityRun[] = [];
  // What happened; the verdict is decided from it once, by a pure function (core/verdict.ts).
  const facts: RunFacts = { hasHypothesis: spec.hypothesis !== undefined, failFast, dryRun: opts.dryRun };
  let usageCode: ErrorCode | undefined;
  const phases = PHASES[strategy];
  let secretValues: string[] = [];

  const stopReason = (): StopReason => (opts.signal.reason as StopReason) ?? "interrupted";
  try {
    // Stopped before it began (a game day's stop condition tripped while this step was loading): the
    // listener above never fires for a signal already aborted, so nothing may be injected at all.
    if (opts.signal.aborted) throw new MethodStop();
    const resolved = resolveConfiguration(spec, opts.overrides ?? { configuration: {}, secrets: {} });
    secretValues = resolved.secretValues;
    const ctx = contextOf(spec, opts, registry, resolved);

    // 1. The hypothesis checker: the SLO probe (judged over the method's window) and the probes.
    const checker = await HypothesisChecker.open(spec, ctx);
    // 2. The hypothesis before the method.
    if (spec.hypothesis && phases.before) {
      steady.before = await checker.check("hypothesis-before", opts.signal);
      if (opts.signal.aborted) throw new MethodStop();
      facts.before = checkOf(steady.before);
    }

    if (facts.before?.met !== false) {
      // 3. The method, with the hypothesis during it when the strategy asks.
      checker.methodStarted();
      const method = await runMethod(spec, ctx, {
        registry,
        signal: opts.signal,
        during:
          spec.hypothesis && phases.during
            ? { frequencyMs, failFast, check: (p, sig) => checker.check(p, sig) }
            : undefined,
      });
      methodRuns.push(...method.runs);
      steady.during.push(...method.during);
      const { fatal, methodProbeMiss, continuousMiss } = method;
      if (fatal) throw fatal;
      if (opts.signal.aborted) throw new MethodStop();
      facts.methodProbeMiss = methodProbeMiss;
      facts.continuousMiss = continuousMiss;
      await registry.revertAll("method ended");
      // 4. The hypothesis after the method; then 5. rollbacks, and 6. the record.
      if (spec.hypothesis && phases.after) {
        steady.after = await checker.check("hypothesis-after", opts.signal);
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
    if (facts.usageError !== undefined && err instanceof WithstandError) usageCode = err.code;
    else facts.crash = (err as Error).stack ?? String(err);
    if (playsRollbacks(rollbackStrategy, decide(facts)))
      await rollbacks(spec, minimalContext(spec, opts, registry, secretValues), opts, rollbackRuns);
  } finally {
    opts.signal.removeEventListener("abort", revertOnStop);
    await registry.close();
    await closeProbeKinds();
  }

  const ended = Date.now();
  const failures = registry.failures();
  if (failures.length > 0) facts.faultFailed = failures.join("; ");
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
  return usageError !== undefined
    ? { journal, exitCode, usageError: redact(usageError, secretValues), usageCode: usageCode ?? "WS_CONFIG" }
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
  return contextOf(spec, opts, registry, { ...resolved, secretValues });
}

/** The context activities run in: the same for the method and for rollbacks after a failed start. */
function contextOf(
  spec: ExperimentSpec,
  opts: RunOptions,
  registry: SafetyRegistry,
  resolved: {
    configuration: Record<string, unknown>;
    secrets: Record<string, unknown>;
    secretValues: string[];
  },
): RunContext {
  return {
    runId: opts.runId,
    bus: opts.bus,
    registry,
    native: spec.flavour === "native",
    dryRun: opts.dryRun ?? false,
    allowRemote: opts.allowRemote ?? false,
    configuration: resolved.configuration,
    secrets: resolved.secrets,
    secretValues: resolved.secretValues,
    saved: {},
    loads: new Map(),
    probes: probeServices(dirOf(spec.file)),
    services: opts.services ?? NO_SERVICES,
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
