import { classifyMetric, score } from "../core/judge.js";
import { describeContract, type PactGate } from "../core/pact/gate.js";
import {
  type AnalysisSpec,
  type Measurement,
  measurementPhase,
  type QueryProvider,
  type RolloutMetric,
  resultPhase,
  type Version,
} from "../core/rollout.js";
import { METRIC_PROVIDERS } from "../metrics/index.js";
import type { Router } from "../proxy/router.js";

/** A flag rollout's synthetic users: up to `n` targeting keys that get the version's variant. */
export type Subjects = (version: Version, n: number) => Promise<string[]>;

/** `{{version}}` and `{{variant}}` (a flag rollout's name for it), spaced or not, replaced by `label`. */
export function fillVersion(text: string, label: string): string {
  return text.replace(/\{\{ ?(?:version|variant) ?\}\}/g, label);
}

/**
 * One metric's points for one version over [fromMs, toMs): per request from the router, per step
 * from Prometheus, per synthetic request (as each of the variant's users) for a flag rollout.
 */
export async function pointsOf(
  metric: RolloutMetric,
  version: Version,
  router: Router,
  fromMs: number,
  toMs: number,
  labels?: Partial<Record<Version, string>>,
  subjects?: Subjects,
): Promise<number[]> {
  const provider = METRIC_PROVIDERS.get(metric.source);
  if (!provider?.points)
    throw new Error(`metric ${metric.name}: source ${metric.source} cannot judge a canary`);
  const label = labels?.[version] ?? version;
  const template = metric.source === "synthetic" ? metric.url : metric.query;
  const query = template === undefined ? undefined : fillVersion(template, label);
  const users =
    metric.source === "synthetic" && subjects ? await subjects(version, metric.requests ?? 20) : undefined;
  return provider.points(
    {
      query,
      measure: metric.measure,
      address: metric.prometheus,
      version,
      fromMs,
      toMs,
      ...(users ? { subjects: users } : {}),
    },
    { router },
  );
}

/**
 * Takes one measurement: every metric judged canary against the baseline (a same-age copy of stable)
 * when there is one, against stable otherwise; then scored and classified.
 */
export async function measure(
  spec: AnalysisSpec,
  router: Router,
  index: number,
  fromMs: number,
  toMs: number,
  /** Per-version values of `{{version}}` (each upstream's `label`, a flag rollout's variants). */
  labels?: Partial<Record<Version, string>>,
  subjects?: Subjects,
  /** Where each version answers, for a check of the version itself (a pact gate). */
  urls?: Partial<Record<Version, string>>,
  signal?: AbortSignal,
): Promise<Measurement> {
  const startedAt = new Date().toISOString();
  try {
    if (spec.provider?.type === "pact") {
      const { result, contract } = await checkVersion(spec.provider, urls ?? {}, signal);
      const { phase, reason } = resultPhase(spec, result);
      return {
        index,
        startedAt,
        finishedAt: new Date().toISOString(),
        phase,
        // The counts in words, with the first broken interaction, instead of the result's JSON.
        reason: reason.replace(`result ${JSON.stringify(result)}`, describeContract(contract)),
        result,
        contract,
        values: {},
      };
    }
    if (spec.provider) {
      const result = await queryResult(spec.provider, toMs);
      const { phase, reason } = resultPhase(spec, result);
      return { index, startedAt, finishedAt: new Date().toISOString(), phase, reason, result, values: {} };
    }
    const verdicts = [];
    const values: Measurement["values"] = {};
    for (const metric of spec.metrics) {
      const [baseline, canary] = await Promise.all([
        pointsOf(metric, router.hasBaseline ? "baseline" : "stable", router, fromMs, toMs, labels, subjects),
        pointsOf(metric, "canary", router, fromMs, toMs, labels, subjects),
      ]);
      const v = classifyMetric(metric, baseline, canary, spec.confidence);
      verdicts.push(v);
      values[metric.name] = {
        canary: v.experimentMean,
        baseline: v.controlMean,
        ratio: v.effectSize,
        classification: v.classification,
      };
    }
    const groups = new Map(spec.metrics.map((m) => [m.name, m.group ?? "default"]));
    const judgement = score(verdicts, spec.thresholds, spec.weights, (n) => groups.get(n) ?? "default");
    const { phase, reason } = measurementPhase(spec, judgement, values);
    return { index, startedAt, finishedAt: new Date().toISOString(), phase, reason, judgement, values };
  } catch (err) {
    return {
      index,
      startedAt,
      finishedAt: new Date().toISOString(),
      phase: "Error",
      reason: (err as Error).message,
      values: {},
    };
  }
}

/** A pact gate: the version it names verified against its consumers' pacts, at its address. */
async function checkVersion(p: PactGate, urls: Partial<Record<Version, string>>, signal?: AbortSignal) {
  const provider = METRIC_PROVIDERS.get(p.type);
  if (!provider?.check) throw new Error(`provider ${p.type} checks no version`);
  const url = urls[p.version];
  if (!url) throw new Error(`pact: the rollout has no ${p.version} to verify`);
  return provider.check({ version: p.version, url, provider: p }, signal);
}

/**
 * An Argo metric's `result`, as Argo's Prometheus provider gives it, through the metric provider
 * registry: a scalar as a number, an instant vector as the list of its values, a range query as
 * every value of every series.
 */
export async function queryResult(p: QueryProvider, atMs: number): Promise<number | number[]> {
  const provider = METRIC_PROVIDERS.get(p.type);
  const q = {
    query: p.query,
    address: p.address,
    headers: p.headers,
    timeoutMs: p.timeoutMs,
    anomaly: p.anomaly,
  };
  if (p.range) {
    if (!provider?.range) throw new Error(`provider ${p.type} answers no range query`);
    const series = await provider.range(
      { ...q, fromMs: atMs - p.range.lookbackMs, toMs: atMs, stepMs: p.range.stepS * 1000 },
      {},
    );
    return series.flatMap((s) => s.points.map(([, v]) => v));
  }
  if (!provider?.instant) throw new Error(`provider ${p.type} answers no instant query`);
  return provider.instant({ ...q, atMs }, {});
}
