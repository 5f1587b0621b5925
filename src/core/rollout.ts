import type { AnomalyCheck } from "./anomaly.js";
import { type Env, parseCondition } from "./condition.js";
import type { Judgement, MetricConfig } from "./judge.js";
import type { ContractCheck, PactGate } from "./pact/gate.js";

/** The model of a `kind: Rollout` document and the pure rules of its analysis runs (Argo's semantics). */
export type Version = "stable" | "canary" | "baseline";
export const VERSIONS: readonly Version[] = ["stable", "canary", "baseline"];

/**
 * With a baseline (a fresh copy of stable started with the canary, Kayenta's advice), it gets as much
 * traffic as the canary, taken from stable, so the judge compares two versions of the same age and
 * load. It leaves with the canary: 0 on rollback, 0 on promotion.
 */
export function baselineWeight(canaryWeight: number, hasBaseline: boolean): number {
  if (!hasBaseline || canaryWeight <= 0 || canaryWeight >= 100) return 0;
  return Math.min(canaryWeight, 100 - canaryWeight);
}

export interface UpstreamSpec {
  /** Where the version answers; with a command and no url, withstand picks a free port (PORT, ${port}). */
  url?: string;
  command?: string[];
  env?: Record<string, string>;
  /** Where the command runs: `cwd` in the document, resolved against the document's directory (the default). */
  cwd?: string;
  /** What `{{version}}` becomes in Prometheus queries for this version (default: stable, canary, baseline). */
  label?: string;
  /** Starts the command on this clock (libfaketime), so a clock-skew fault can move its wall clock. */
  clock?: string;
  readyTimeoutMs: number;
}

export type RouterMeasure = "error-rate" | "latency";

export interface RolloutMetric extends MetricConfig {
  /** A metric provider of the registry (metrics/index.ts) that answers canary points. */
  source: string;
  measure?: RouterMeasure;
  /** A PromQL query run once per version with {{version}} substituted; every returned sample is a point. */
  query?: string;
  /** A synthetic metric's request, `{{targetingKey}}` and `{{variant}}` substituted per variant. */
  url?: string;
  /** A synthetic metric's requests per variant and measurement (each as a different targeting key). */
  requests?: number;
  prometheus?: string;
}

/** Where an Argo metric's `result` comes from (AnalysisTemplate `provider.prometheus`). */
export interface QueryProvider {
  /** `anomaly`: the anomaly detector over the Prometheus query (result 1 when anomalous, else 0). */
  type: "prometheus" | "anomaly";
  address: string;
  query: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Argo's rangeQuery: from `lookbackMs` before now to now, every `stepS` seconds. */
  range?: { lookbackMs: number; stepS: number };
  anomaly?: Omit<AnomalyCheck, "prometheus" | "query"> | undefined;
}

export interface AnalysisSpec {
  /** Where the analysis sits in the document, for messages. */
  loc: string;
  /** The metric's own name, for an Argo metric (its judge-less analysis). */
  name?: string;
  /**
   * An Argo metric: the conditions judge the `result` of one query (Argo's semantics), instead of a
   * judge comparing the canary with the baseline. `metrics` is then empty.
   */
  provider?: QueryProvider | PactGate;
  intervalMs?: number;
  count?: number;
  initialDelayMs: number;
  metrics: RolloutMetric[];
  confidence: number;
  thresholds: { pass: number; marginal: number };
  weights: Record<string, number>;
  successCondition?: string;
  failureCondition?: string;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  /**
   * Argo's consecutiveSuccessLimit: this many successful measurements in a row end the metric as
   * Successful; reaching the count without them is Failed (or Inconclusive when failureLimit also
   * applies). 0 or absent: disabled.
   */
  consecutiveSuccessLimit?: number;
}

export type Step =
  | { kind: "setWeight"; weight: number; loc: string }
  | { kind: "pause"; durationMs?: number; loc: string }
  /** Several analyses run side by side (an Argo analysis of several templates and metrics). */
  | { kind: "analysis"; analyses: AnalysisSpec[]; loc: string };

/**
 * A flag rollout's canary: a variant of a flag on a withstand flags server instead of a version behind
 * the router. `setWeight: N` gives `variant` N% of the flag's fractional and `baseline` the rest.
 */
export interface FlagTarget {
  /** The flag server (`withstand flags serve`), http://HOST:PORT. */
  server: string;
  key: string;
  variant: string;
  /** The variant the rest of the evaluations get (default: the flag's default variant). */
  baseline?: string | undefined;
  /** A token of the flag server; WITHSTAND_FLAGS_TOKEN when left out. */
  token?: string | undefined;
  /** Where `spec.flag` sits in the document, for messages. */
  loc: string;
}

/**
 * The fractional weights of a flag rollout at `weight` percent: the variant gets `weight`, the
 * baseline the rest, every other bucket 0 (weights in percent, so shares are exact).
 */
export function flagWeights(
  buckets: readonly string[],
  variant: string,
  baseline: string,
  weight: number,
): Record<string, number> {
  const w = Math.max(0, Math.min(100, Math.round(weight)));
  const out: Record<string, number> = {};
  for (const b of buckets) out[b] = 0;
  out[baseline] = 100 - w;
  out[variant] = w;
  return out;
}

export interface RolloutSpec {
  name: string;
  file: string;
  /** A flag rollout: the canary is a flag variant (no router, no stable/canary versions). */
  flag?: FlagTarget;
  listen: { host: string; port: number };
  stable: UpstreamSpec;
  canary: UpstreamSpec;
  /** A same-age copy of stable to judge the canary against; without it, the canary is judged against stable. */
  baseline?: UpstreamSpec;
  stickiness?: { header?: string; cookie?: string };
  steps: Step[];
  background?: { analyses: AnalysisSpec[]; startingStep: number };
  /**
   * The change this rollout deploys, for DORA's lead time: its revision and commit time, from the
   * document (`metadata.revision`, `metadata.commitTime` or their `withstand.dev/` annotations), the
   * CLI's flags, or git.
   */
  change?: {
    revision?: string | undefined;
    commitTime?: string | undefined;
    from: "document" | "flag" | "git";
  };
  /** Where to serve the rollout's Prometheus metrics (`spec.metrics`), if anywhere. */
  metrics?: { host: string; port: number };
  /** How long a rollback waits for requests already on the canary before stopping it. */
  drainTimeoutMs: number;
}

/** What an Argo metric's conditions see as `result`. */
export type MetricResult = number | number[] | Record<string, number>;

/**
 * A check of the version itself (a contract verification) rather than of its traffic over a window:
 * its first measurement is taken at once, as Argo takes every first measurement.
 */
export function measuresAtOnce(a: Pick<AnalysisSpec, "provider">): boolean {
  return a.provider?.type === "pact";
}

export type MeasurementPhase = "Successful" | "Failed" | "Inconclusive" | "Error";

export interface Measurement {
  index: number;
  startedAt: string;
  finishedAt: string;
  phase: MeasurementPhase;
  reason: string;
  judgement?: Judgement;
  /** An Argo metric's query result as its conditions saw it: a vector's values, a scalar, or counts (pact). */
  result?: MetricResult;
  /** A pact gate's verification: each interaction that broke the contract, with its mismatches. */
  contract?: ContractCheck;
  /** Per metric: the canary and baseline means and their ratio, as the conditions see them. */
  values: Record<string, { canary: number; baseline: number; ratio: number; classification: string }>;
}

/** What conditions can name: score, verdict, result.{score,verdict} and <metric>.{canary,baseline,ratio,classification}. */
export function conditionEnv(j: Judgement, values: Measurement["values"]): Env {
  return { score: j.score, verdict: j.verdict, result: { score: j.score, verdict: j.verdict }, ...values };
}

/**
 * A measurement's phase. The no-data policy wins over conditions: an inconclusive no-data judgement is
 * Inconclusive whatever the conditions say. Then Argo's rules: failureCondition true → Failed; with a
 * successCondition, true → Successful, false → Failed (or Inconclusive when a failureCondition exists
 * too); without conditions the judge's verdict decides (Pass → Successful, Fail → Failed, Marginal →
 * Inconclusive).
 */
export function measurementPhase(
  spec: Pick<AnalysisSpec, "successCondition" | "failureCondition">,
  j: Judgement,
  values: Measurement["values"],
): { phase: MeasurementPhase; reason: string } {
  if (j.verdict === "Inconclusive") return { phase: "Inconclusive", reason: j.reason };
  const phase = j.verdict === "Pass" ? "Successful" : j.verdict === "Fail" ? "Failed" : "Inconclusive";
  return conditionsPhase(spec, conditionEnv(j, values), j.reason, {
    phase,
    reason: `judge: ${j.verdict}, ${j.reason}`,
  });
}

/**
 * An Argo metric's measurement: its conditions over the query's `result` (Argo: no condition at all
 * is Successful). An empty result leaves `result[0]` unknown, so the measurement is Inconclusive
 * rather than an error that rolls back (argo-rollouts#1466).
 */
export function resultPhase(
  spec: Pick<AnalysisSpec, "successCondition" | "failureCondition">,
  result: MetricResult,
): { phase: MeasurementPhase; reason: string } {
  const shown = `result ${JSON.stringify(result)}`;
  return conditionsPhase(spec, { result }, shown, { phase: "Successful", reason: `${shown}, no condition` });
}

/** Argo's condition rules, three-valued: an unknown condition (no data for a name it uses) decides nothing. */
function conditionsPhase(
  spec: Pick<AnalysisSpec, "successCondition" | "failureCondition">,
  env: Env,
  context: string,
  otherwise: { phase: MeasurementPhase; reason: string },
): { phase: MeasurementPhase; reason: string } {
  const run = (expr: string) => {
    const parsed = parseCondition(expr);
    if (!parsed.ok) throw new Error(`condition ${JSON.stringify(expr)}: ${parsed.error}`);
    return parsed.eval(env);
  };
  const failure = spec.failureCondition !== undefined ? run(spec.failureCondition) : false;
  if (failure === true)
    return { phase: "Failed", reason: `failureCondition ${spec.failureCondition} is true; ${context}` };
  if (spec.successCondition !== undefined) {
    const success = run(spec.successCondition);
    if (success === true && failure === false)
      return { phase: "Successful", reason: `successCondition ${spec.successCondition} is true; ${context}` };
    if (success === undefined || failure === undefined)
      return {
        phase: "Inconclusive",
        reason: `${success === undefined ? spec.successCondition : spec.failureCondition} is unknown (no data); ${context}`,
      };
    return spec.failureCondition !== undefined
      ? {
          phase: "Inconclusive",
          reason: `neither ${spec.successCondition} nor ${spec.failureCondition} is true; ${context}`,
        }
      : { phase: "Failed", reason: `successCondition ${spec.successCondition} is false; ${context}` };
  }
  if (spec.failureCondition !== undefined)
    return failure === undefined
      ? {
          phase: "Inconclusive",
          reason: `failureCondition ${spec.failureCondition} is unknown (no data); ${context}`,
        }
      : { phase: "Successful", reason: `failureCondition ${spec.failureCondition} is false; ${context}` };
  return otherwise;
}

export type AnalysisPhase = "Running" | "Successful" | "Failed" | "Inconclusive" | "Error";

/**
 * What Argo's ValidateMetric (utils/analysis/factory.go) refuses in a metric's limits, by field: the
 * AnalysisRun would never start. `intervalGiven` is whether `interval` was written.
 */
export function metricLimitProblems(spec: {
  count?: number | undefined;
  intervalGiven: boolean;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveSuccessLimit: number;
}): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const { failureLimit: fl, consecutiveSuccessLimit: csl, inconclusiveLimit: il } = spec;
  const count = spec.count ?? 0;
  if (csl === 0 && fl === -1)
    out.push({
      field: "failureLimit",
      message:
        "failureLimit -1 disables failures, and consecutiveSuccessLimit is 0 (disabled): Argo refuses both disabled (expected failureLimit >= 0 or consecutiveSuccessLimit >= 1)",
    });
  if (count > 0) {
    if (fl >= 0 && count < fl + csl)
      out.push({
        field: "count",
        message: `count (${count}) must be >= failureLimit + consecutiveSuccessLimit (${fl} + ${csl}), as Argo requires`,
      });
    else if (fl < 0 && count < csl)
      out.push({
        field: "count",
        message: `count (${count}) must be >= consecutiveSuccessLimit (${csl}), as Argo requires`,
      });
    if (count < il)
      out.push({
        field: "count",
        message: `count (${count}) must be >= inconclusiveLimit (${il}), as Argo requires`,
      });
  }
  if (count > 1 && !spec.intervalGiven)
    out.push({
      field: "count",
      message: `count ${count} needs an interval between measurements (expected interval: e.g. 1m, as Argo requires when count > 1)`,
    });
  return out;
}

/** Argo's AnalysisRun bookkeeping: limits are "more than N", -1 disables failureLimit. */
export function analysisPhase(
  spec: Pick<
    AnalysisSpec,
    "failureLimit" | "inconclusiveLimit" | "consecutiveErrorLimit" | "count" | "intervalMs"
  > & { consecutiveSuccessLimit?: number | undefined },
  measurements: readonly Pick<Measurement, "phase">[],
  /** Background analysis without a count runs until the rollout ends. */
  untilStopped = false,
): { phase: AnalysisPhase; reason: string } {
  let failed = 0;
  let inconclusive = 0;
  let consecutiveErrors = 0;
  let consecutiveSuccesses = 0;
  for (const m of measurements) {
    if (m.phase === "Failed") failed++;
    if (m.phase === "Inconclusive") inconclusive++;
    consecutiveErrors = m.phase === "Error" ? consecutiveErrors + 1 : 0;
    consecutiveSuccesses = m.phase === "Successful" ? consecutiveSuccesses + 1 : 0;
  }
  if (consecutiveErrors > spec.consecutiveErrorLimit)
    return {
      phase: "Error",
      reason: `${consecutiveErrors} consecutive measurement errors (consecutiveErrorLimit ${spec.consecutiveErrorLimit})`,
    };
  if (spec.failureLimit >= 0 && failed > spec.failureLimit)
    return { phase: "Failed", reason: `${failed} failed measurements (failureLimit ${spec.failureLimit})` };
  if (inconclusive > spec.inconclusiveLimit)
    return {
      phase: "Inconclusive",
      reason: `${inconclusive} inconclusive measurements (inconclusiveLimit ${spec.inconclusiveLimit})`,
    };
  const csl = spec.consecutiveSuccessLimit ?? 0;
  if (csl > 0 && consecutiveSuccesses >= csl)
    return {
      phase: "Successful",
      reason: `${consecutiveSuccesses} successful measurements in a row (consecutiveSuccessLimit ${csl})`,
    };
  const wanted = plannedCount(spec, untilStopped);
  if (wanted !== undefined && measurements.length >= wanted && csl > 0)
    // The count is reached without the successes in a row: Argo's assessMetricStatus.
    return spec.failureLimit >= 0
      ? {
          phase: "Inconclusive",
          reason: `consecutiveSuccessLimit ${csl} not reached in ${measurements.length} measurements (failureLimit ${spec.failureLimit} not exceeded)`,
        }
      : {
          phase: "Failed",
          reason: `consecutiveSuccessLimit ${csl} not reached in ${measurements.length} measurements`,
        };
  if (wanted !== undefined && measurements.length >= wanted) {
    // Never Successful on errors alone (argo-rollouts#4479): with no successful measurement, ask a human.
    if (!measurements.some((m) => m.phase === "Successful"))
      return { phase: "Inconclusive", reason: `none of ${measurements.length} measurements succeeded` };
    return { phase: "Successful", reason: `${measurements.length} measurements, ${failed} failed` };
  }
  return { phase: "Running", reason: `${measurements.length} of ${wanted ?? "unlimited"} measurements` };
}

/** Neither interval nor count: one measurement. Interval alone: unlimited. */
export function plannedCount(
  spec: Pick<AnalysisSpec, "count" | "intervalMs">,
  untilStopped = false,
): number | undefined {
  if (spec.count !== undefined && spec.count > 0) return spec.count;
  if (untilStopped || spec.intervalMs !== undefined) return undefined;
  return 1;
}

/** An analysis in a few words: what it measures, how often, how many times. */
export function describeAnalysis(a: AnalysisSpec): string {
  const n = plannedCount(a);
  return `${analysisName(a)}${a.intervalMs ? ` every ${a.intervalMs / 1000}s` : ""}${n ? ` x${n}` : ""}`;
}

export function analysisName(a: AnalysisSpec): string {
  return a.name ?? a.metrics.map((m) => m.name).join(", ");
}

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "setWeight":
      return `setWeight ${step.weight}`;
    case "pause":
      return step.durationMs === undefined ? "pause (until promoted)" : `pause ${step.durationMs / 1000}s`;
    case "analysis":
      return `analysis ${step.analyses.map(describeAnalysis).join("; ")}`;
  }
}
