import { classifyMetric, score } from "../core/judge.js";
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

/** One metric's points for one version over [fromMs, toMs): per request from the router, per step from Prometheus. */
export async function pointsOf(
  metric: RolloutMetric,
  version: Version,
  router: Router,
  fromMs: number,
  toMs: number,
  labels?: Partial<Record<Version, string>>,
): Promise<number[]> {
  const provider = METRIC_PROVIDERS.get(metric.source);
  if (!provider?.points)
    throw new Error(`metric ${metric.name}: source ${metric.source} cannot judge a canary`);
  const label = labels?.[version] ?? version;
  const query = metric.query?.replaceAll("{{version}}", label).replaceAll("{{ version }}", label);
  return provider.points(
    { query, measure: metric.measure, address: metric.prometheus, version, fromMs, toMs },
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
  /** Per-version values of `{{version}}` (each upstream's `label`). */
  labels?: Partial<Record<Version, string>>,
): Promise<Measurement> {
  const startedAt = new Date().toISOString();
  try {
    if (spec.provider) {
      const result = await queryResult(spec.provider, toMs);
      const { phase, reason } = resultPhase(spec, result);
      return { index, startedAt, finishedAt: new Date().toISOString(), phase, reason, result, values: {} };
    }
    const verdicts = [];
    const values: Measurement["values"] = {};
    for (const metric of spec.metrics) {
      const [baseline, canary] = await Promise.all([
        pointsOf(metric, router.hasBaseline ? "baseline" : "stable", router, fromMs, toMs, labels),
        pointsOf(metric, "canary", router, fromMs, toMs, labels),
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
