import type { EventBus, RunEvent } from "../core/events.js";
import type { ExitCode } from "../core/exit-codes.js";
import {
  type AnalysisPhase,
  type AnalysisSpec,
  analysisName,
  analysisPhase,
  describeStep,
  type FlagTarget,
  type Measurement,
  measuresAtOnce,
  type RolloutSpec,
  VERSIONS,
  type Version,
} from "../core/rollout.js";
import { meaningOf } from "../core/run-outcome.js";
import { sleep } from "../core/sleep.js";
import { toStored } from "../core/window.js";
import { Router } from "../proxy/router.js";
import { SafetyRegistry } from "../safety/registry.js";
import { stateDir } from "../safety/state.js";
import type { RolloutStatus } from "./control.js";
import { FlagCredentialsError, FlagTraffic } from "./flag-traffic.js";
import { measure } from "./measure.js";
import { RolloutMetrics } from "./metrics.js";
import { type RunningUpstream, startUpstream } from "./upstream.js";

/** `not-started`: a version or the router could not start (exit 2, like any invalid input). */
export type Decision = "promoted" | "rolled-back" | "aborted" | "not-started";

export interface RolloutResult {
  decision: Decision;
  reason: string;
  exitCode: ExitCode;
  durationMs: number;
  status: RolloutStatus;
  analyses: AnalysisRecord[];
}

interface AnalysisRecord {
  name: string;
  step: number;
  loc: string;
  phase: AnalysisPhase;
  reason: string;
  measurements: Measurement[];
}

export interface ControllerOptions {
  runId: string;
  bus: EventBus;
  /** Called whenever the status changes (the control server rewrites its status file). */
  onChange?: () => void;
  /** Awaited after the decision and any canary stop, before the router closes (lets a load finish). */
  beforeClose?: () => Promise<void>;
  /** Called once the router listens, with its address. */
  onListening?: (address: string) => void;
}

/**
 * Runs one rollout: starts the versions it must, routes traffic, walks the steps, runs the analyses
 * (inline and background) and decides. A failed analysis rolls back at once: the canary's weight drops
 * to 0 before anything else happens, then its in-flight requests drain and, if withstand started it,
 * it is stopped.
 */
export class RolloutController {
  readonly router: Router;
  private readonly registry: SafetyRegistry;
  private readonly upstreams: RunningUpstream[] = [];
  private readonly ended = new AbortController();
  private decision: { decision: Decision; reason: string } | undefined;
  private resume: (() => void) | undefined;
  private promoteFull = false;
  /** Set by `promote --skip-analysis`: the inconclusive analysis is skipped, not measured again. */
  private skipAnalysis = false;
  private phase: RolloutStatus["phase"] = "Starting";
  private message = "starting";
  private step = -1;
  private readonly analyses: AnalysisRecord[] = [];
  private readonly startedAt = new Date();
  private urls: Record<Version, string>;
  /** What `{{version}}` becomes for each version in Prometheus queries (each upstream's `label`). */
  private readonly labels: Partial<Record<Version, string>> = {};
  private metrics: RolloutMetrics | undefined;
  /** A flag rollout's traffic (spec.flag): the variant's share on the flag server, instead of the router. */
  private flag: FlagTraffic | undefined;
  /** Flag changes in order: each waits for the one before, and the run's end waits for all. */
  private flagOps: Promise<void> = Promise.resolve();
  /** Where the Prometheus metrics are served, when spec.metrics asks for them. */
  metricsAddress = "";

  constructor(
    private readonly spec: RolloutSpec,
    private readonly opts: ControllerOptions,
  ) {
    this.urls = {
      stable: spec.stable.url ?? "",
      canary: spec.canary.url ?? "",
      baseline: spec.baseline?.url ?? "",
    };
    for (const v of VERSIONS) {
      const label = spec[v]?.label;
      if (label) this.labels[v] = label;
    }
    this.registry = new SafetyRegistry(stateDir(), opts.runId, opts.bus, `rollout ${spec.name}`);
    this.router = new Router({
      name: spec.name,
      stable: "http://127.0.0.1",
      canary: "http://127.0.0.1",
      stickiness: spec.stickiness,
      // Windows go on the bus like every other measurement; a version with no traffic but stable is skipped.
      onWindow: (version, w) => {
        if (w.count > 0 || version === "stable")
          this.opts.bus.emit({
            type: "window",
            runId: this.opts.runId,
            ts: new Date(w.end).toISOString(),
            series: `router:${version}`,
            window: toStored(w),
          });
      },
    });
  }

  private emit(e: RunEvent): void {
    this.opts.bus.emit(e);
    this.opts.onChange?.();
  }

  private now(): string {
    return new Date().toISOString();
  }

  /**
   * Moves the canary's share: at once on the router; on a flag server, queued behind the previous
   * change (the returned promise settles when this one is made). `lasting` marks a decision (or the
   * start), made outside the run's lease so it stays.
   */
  private setWeight(weight: number, reason: string, lasting = false): Promise<void> {
    const flag = this.flag;
    if (!flag) {
      this.router.setWeight(weight);
      this.emit({ type: "rollout-weight", runId: this.opts.runId, ts: this.now(), weight, reason });
      return Promise.resolve();
    }
    const op = this.flagOps.then(async () => {
      await (lasting ? flag.lasting(weight, reason) : flag.step(weight, reason));
      const shares = Object.entries(flag.weightsAt(weight))
        .map(([v, w]) => `${v} ${w}%`)
        .join(", ");
      this.emit({
        type: "rollout-weight",
        runId: this.opts.runId,
        ts: this.now(),
        weight,
        reason: `${reason} (flag ${this.spec.flag?.key}: ${shares})`,
      });
    });
    this.flagOps = op.catch((err: unknown) => {
      this.emit({
        type: "warning",
        runId: this.opts.runId,
        ts: this.now(),
        message: `flag ${this.spec.flag?.key}: cannot set ${weight}%: ${(err as Error).message}`,
      });
    });
    return op;
  }

  status(): RolloutStatus {
    const s = this.router.stats;
    return {
      name: this.spec.name,
      runId: this.opts.runId,
      pid: process.pid,
      phase: this.phase,
      message: this.message,
      step: this.step,
      steps: this.spec.steps.map(describeStep),
      weight: this.flag ? this.flag.weight : this.router.canaryWeight,
      router: this.router.address,
      ...(this.spec.flag
        ? {
            flag: {
              server: this.spec.flag.server,
              key: this.spec.flag.key,
              variant: this.spec.flag.variant,
              baseline: this.flag?.baseline ?? this.spec.flag.baseline ?? "",
              flips: this.flag?.flips ?? [],
            },
          }
        : {}),
      stable: { url: this.urls.stable, requests: s.stable.total, errors: s.stable.errors },
      canary: { url: this.urls.canary, requests: s.canary.total, errors: s.canary.errors },
      ...(this.spec.baseline
        ? { baseline: { url: this.urls.baseline, requests: s.baseline.total, errors: s.baseline.errors } }
        : {}),
      analyses: this.analyses.map((a) => ({
        name: a.name,
        step: a.step,
        phase: a.phase,
        measurements: a.measurements.map((m) => ({
          phase: m.phase,
          reason: m.reason,
          score: m.judgement?.score,
        })),
      })),
      startedAt: this.startedAt.toISOString(),
      updatedAt: this.now(),
    };
  }

  /**
   * `withstand rollout promote`: ends a pause. During an inconclusive hold it resumes the analysis
   * (it measures again); only `skipAnalysis` goes past it unjudged, and that is recorded. `full`
   * skips every remaining step.
   */
  promote(full: boolean, skipAnalysis = false): string {
    if (this.decision) return `rollout already ${this.decision.decision}`;
    if (full) this.promoteFull = true;
    this.skipAnalysis = skipAnalysis;
    const waiting = this.resume;
    if (waiting) {
      this.resume = undefined;
      this.emit({
        type: "rollout-resumed",
        runId: this.opts.runId,
        ts: this.now(),
        by: full ? "promote --full" : skipAnalysis ? "promote --skip-analysis" : "promote",
      });
      waiting();
      return full ? "promoting fully" : "resumed";
    }
    return full
      ? "promoting fully after the current step"
      : "not paused; nothing to promote (use --full to skip the remaining steps)";
  }

  /** Rolls back now: the canary's weight is 0 before this returns. */
  abort(reason: string, decision: Decision = "aborted"): string {
    if (this.decision) return `rollout already ${this.decision.decision}`;
    this.decision = { decision, reason };
    // On a flag server the change is queued (run() waits for it); its failure is a warning on the run.
    this.setWeight(0, `${decision === "aborted" ? "aborted" : "rolled back"}: ${reason}`, true).catch(
      () => undefined,
    );
    this.phase = decision === "aborted" ? "Aborted" : "RolledBack";
    this.message = reason;
    this.ended.abort();
    this.resume?.();
    return "rolled back: canary weight is 0";
  }

  private waitForResume(reason: string, durationMs?: number): Promise<void> {
    this.phase = "Paused";
    this.message = reason;
    this.emit({ type: "rollout-paused", runId: this.opts.runId, ts: this.now(), reason });
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resume = undefined;
        if (!this.decision) {
          this.phase = "Progressing";
          this.message = `step ${this.step + 1}`;
        }
        resolve();
      };
      const timer = durationMs === undefined ? undefined : setTimeout(done, durationMs);
      this.resume = done;
      if (this.ended.signal.aborted) done();
    });
  }

  /**
   * Runs a step's analyses side by side, as Argo runs an AnalysisRun's metrics, each on its own
   * schedule: the first to fail or err stops the others, and the step takes the worst phase
   * (Error, Failed, Inconclusive, Successful).
   */
  private async runAnalyses(
    specs: readonly AnalysisSpec[],
    step: number,
    untilStopped: boolean,
    signal: AbortSignal,
  ): Promise<AnalysisRecord> {
    const [only] = specs;
    if (only && specs.length === 1) return this.runAnalysis(only, step, untilStopped, signal);
    const sibling = new AbortController();
    const stop = AbortSignal.any([signal, sibling.signal]);
    const records = await Promise.all(
      specs.map(async (a) => {
        const r = await this.runAnalysis(a, step, untilStopped, stop);
        if (r.phase === "Failed" || r.phase === "Error") sibling.abort();
        return r;
      }),
    );
    const rank: Record<AnalysisPhase, number> = {
      Error: 0,
      Failed: 1,
      Inconclusive: 2,
      Running: 3,
      Successful: 4,
    };
    const worst = records.reduce((w, r) => (rank[r.phase] < rank[w.phase] ? r : w));
    return {
      ...worst,
      name: records.map((r) => r.name).join(" + "),
      reason: `${worst.name}: ${worst.reason}`,
      measurements: records.flatMap((r) => r.measurements),
    };
  }

  private async runAnalysis(
    a: AnalysisSpec,
    step: number,
    untilStopped: boolean,
    signal: AbortSignal,
  ): Promise<AnalysisRecord> {
    const record: AnalysisRecord = {
      name: analysisName(a),
      step,
      loc: a.loc,
      phase: "Running",
      reason: "",
      measurements: [],
    };
    this.analyses.push(record);
    await sleep(a.initialDelayMs, signal);
    const interval = a.intervalMs ?? 10_000;
    let from = Date.now();
    // A check of the version itself (a pact gate) is taken at once, then every interval.
    let wait = measuresAtOnce(a) ? 0 : interval;
    while (!signal.aborted) {
      await sleep(wait, signal);
      wait = interval;
      if (signal.aborted) break;
      const to = Date.now();
      const m = await measure(
        a,
        this.router,
        record.measurements.length,
        from,
        to,
        this.labels,
        this.subjects,
        this.urls,
        signal,
      );
      from = to;
      if (this.decision) break;
      record.measurements.push(m);
      this.metrics?.measured(m.judgement?.score, m.judgement?.metrics ?? [], a.thresholds);
      this.emit({
        type: "rollout-measurement",
        runId: this.opts.runId,
        ts: m.finishedAt,
        step,
        analysis: record.name,
        index: m.index,
        phase: m.phase,
        reason: m.reason,
        ...(m.judgement ? { score: m.judgement.score, verdict: m.judgement.verdict } : {}),
        metrics: m.judgement?.metrics ?? [],
        ...(m.contract ? { contract: m.contract } : {}),
      });
      const p = analysisPhase(a, record.measurements, untilStopped);
      record.phase = p.phase;
      record.reason = p.reason;
      if (p.phase !== "Running") break;
    }
    if (record.phase === "Running") {
      record.phase = "Successful";
      record.reason = `stopped with the rollout after ${record.measurements.length} measurements`;
    }
    this.emit({
      type: "rollout-analysis",
      runId: this.opts.runId,
      ts: this.now(),
      step,
      analysis: record.name,
      phase: record.phase,
      reason: record.reason,
    });
    return record;
  }

  /**
   * Acts on a finished analysis: Failed/Error roll back; Inconclusive holds for a human, and a plain
   * `promote` then runs the analysis again (a first analysis that found no traffic never becomes an
   * unjudged promotion); `promote --skip-analysis` goes on without it, recorded as such.
   */
  private async settle(
    first: AnalysisRecord,
    where: string,
    again: () => Promise<AnalysisRecord>,
  ): Promise<void> {
    let record = first;
    for (;;) {
      if (record.phase === "Failed" || record.phase === "Error") {
        const last = record.measurements.at(-1);
        this.abort(
          `${where} analysis ${record.phase.toLowerCase()}: ${record.reason}${last ? `; ${last.reason}` : ""}`,
          "rolled-back",
        );
        return;
      }
      if (record.phase !== "Inconclusive" || this.decision) return;
      this.skipAnalysis = false;
      await this.waitForResume(
        `${where} analysis inconclusive (${record.reason}): \`withstand rollout promote ${this.spec.name}\` measures again, \`--skip-analysis\` goes on unjudged, \`abort\` rolls back`,
      );
      if (this.decision || this.promoteFull) return;
      if (this.skipAnalysis) {
        record.reason = `${record.reason}; skipped by promote --skip-analysis`;
        this.emit({
          type: "warning",
          runId: this.opts.runId,
          ts: this.now(),
          message: `${where} analysis skipped (promote --skip-analysis): ${record.reason}`,
        });
        return;
      }
      record = await again();
    }
  }

  /** Starts the versions withstand runs, and the router (and its metrics) in front of them. */
  private async startVersions(): Promise<void> {
    for (const v of ["stable", "baseline", "canary"] as const) {
      const spec = this.spec[v];
      if (!spec) continue;
      const up = await startUpstream(v, spec, this.registry);
      this.upstreams.push(up);
      this.urls[v] = up.url;
    }
    this.router.setUpstreams(
      this.urls.stable,
      this.urls.canary,
      this.spec.baseline ? this.urls.baseline : undefined,
    );
    const { host, port } = this.spec.listen;
    const address = await this.router.listen(host, port).catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        err.code === "EADDRINUSE"
          ? `spec.listen ${host}:${port}: address already in use (pick another port, or 0 for a free one)`
          : `spec.listen ${host}:${port}: ${err.message}`,
      );
    });
    await this.startMetrics();
    this.opts.onListening?.(address);
  }

  /** The rollout's Prometheus metrics, when spec.metrics asks for them. */
  private async startMetrics(): Promise<void> {
    if (this.spec.metrics) {
      const { host: mh, port: mp } = this.spec.metrics;
      const m = new RolloutMetrics(() => this.status());
      this.metricsAddress = await m.listen(mh, mp).catch((err: NodeJS.ErrnoException) => {
        throw new Error(
          `spec.metrics ${mh}:${mp}: ${err.code === "EADDRINUSE" ? "address already in use" : err.message}`,
        );
      });
      this.metrics = m;
    }
  }

  /** A flag rollout: checks the flag on its server and starts it at 0%. */
  private async openFlag(target: FlagTarget): Promise<void> {
    this.flag = await FlagTraffic.open(target, this.registry, this.spec.name);
    this.labels.stable = this.flag.baseline;
    this.labels.canary = target.variant;
    await this.startMetrics();
  }

  /** A synthetic metric's users: targeting keys the flag server evaluates to the version's variant. */
  private readonly subjects = (version: Version, n: number): Promise<string[]> => {
    const flag = this.flag;
    const variant = this.labels[version];
    if (!flag || variant === undefined) return Promise.resolve([]);
    return flag.keysFor(variant, n);
  };

  async run(): Promise<RolloutResult> {
    const t0 = performance.now();
    // The runner's entry (pid and start time) lets `withstand halt` stop this rollout; close() removes it.
    this.registry.open();
    let background: Promise<void> | undefined;
    const backgroundStop = new AbortController();
    try {
      try {
        if (this.spec.flag) await this.openFlag(this.spec.flag);
        else await this.startVersions();
      } catch (err) {
        this.decision = { decision: "not-started", reason: (err as Error).message };
        this.phase = "Aborted";
        this.message = this.decision.reason;
      }
      if (!this.decision) {
        this.phase = "Progressing";
        if (!this.flag) void this.setWeight(0, "start");
      }
      const steps = this.spec.steps;
      for (let i = 0; i < steps.length && !this.decision && !this.promoteFull; i++) {
        const step = steps[i];
        if (!step) continue;
        this.step = i;
        this.message = describeStep(step);
        const bg = this.spec.background;
        if (bg && !background && i >= bg.startingStep) {
          background = this.runAnalyses(
            bg.analyses,
            -1,
            true,
            AbortSignal.any([backgroundStop.signal, this.ended.signal]),
          ).then(async (r) => {
            const rerun = () =>
              this.runAnalyses(
                bg.analyses,
                -1,
                true,
                AbortSignal.any([backgroundStop.signal, this.ended.signal]),
              );
            if (!this.decision) await this.settle(r, "background", rerun);
          });
        }
        this.emit({
          type: "rollout-step",
          runId: this.opts.runId,
          ts: this.now(),
          step: i,
          of: steps.length,
          description: describeStep(step),
        });
        if (step.kind === "setWeight") await this.setWeight(step.weight, `step ${i + 1}`);
        else if (step.kind === "pause")
          await this.waitForResume(
            step.durationMs === undefined
              ? `paused at step ${i + 1}: waiting for \`withstand rollout promote ${this.spec.name}\``
              : `paused for ${step.durationMs / 1000}s at step ${i + 1}`,
            step.durationMs,
          );
        else {
          const rerun = () => this.runAnalyses(step.analyses, i, false, this.ended.signal);
          const record = await rerun();
          if (!this.decision) await this.settle(record, `step ${i + 1}`, rerun);
        }
      }
      if (!this.decision) {
        this.decision = {
          decision: "promoted",
          reason: this.promoteFull ? "promoted by the user (--full)" : "every step passed",
        };
        await this.setWeight(100, "promoted", true);
        this.phase = "Promoted";
        this.message = this.decision.reason;
      }
    } catch (err) {
      // A refused token is the run's input, not the canary's verdict: exit 2, as at the start.
      if (!this.decision)
        this.abort(
          `rollout failed: ${(err as Error).message}`,
          err instanceof FlagCredentialsError ? "not-started" : "rolled-back",
        );
    } finally {
      backgroundStop.abort();
      await background;
      // A flag rollout's decision is made on the flag server before anything else ends.
      await this.flagOps;
      await this.flag?.release(`rollout ${this.decision?.decision ?? "ended"}`);
      // The versions that leave with the decision: the canary on a rollback, the baseline either way.
      // Their traffic is already 0; what they still serve drains before they stop.
      const leaving: Version[] =
        this.decision?.decision === "rolled-back" || this.decision?.decision === "aborted"
          ? ["canary", "baseline"]
          : this.decision?.decision === "promoted"
            ? ["baseline"]
            : [];
      for (const v of leaving) {
        const up = this.upstreams.find((u) => u.version === v);
        if (!up) continue;
        const drained = await this.router.stats[v].drain(this.spec.drainTimeoutMs);
        const why =
          v === "canary" ? "rolled back" : `${this.decision?.decision ?? "ended"}, baseline no longer needed`;
        await up.stop(drained ? why : `${why} (drain timed out)`);
      }
      await this.opts.beforeClose?.();
      await this.router.close();
      await this.metrics?.close();
      for (const u of this.upstreams.reverse()) await u.stop("rollout ended");
      await this.registry.close();
    }
    const d = this.decision ?? { decision: "rolled-back" as const, reason: "no decision" };
    const exitCode = meaningOf(d.decision).exitCode;
    const durationMs = Math.round(performance.now() - t0);
    this.emit({
      type: "rollout-finished",
      runId: this.opts.runId,
      ts: this.now(),
      decision: d.decision,
      reason: d.reason,
      exitCode,
      durationMs,
    });
    return { ...d, exitCode, durationMs, status: this.status(), analyses: this.analyses };
  }
}
