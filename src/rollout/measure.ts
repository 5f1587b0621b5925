import { classifyMetric, score } from "../core/judge.js";
import {
  type AnalysisSpec,
  type Measurement,
  measurementPhase,
  type RolloutMetric,
  type Version,
} from "../core/rollout.js";
import type { Router } from "../proxy/router.js";
import { promRangeValues } from "../slo/sources.js";

/** The judge gets at most this many points per version: Mann-Whitney stays fast at any traffic. */
const MAX_POINTS = 5000;

function thin(xs: number[]): number[] {
  if (xs.length <= MAX_POINTS) return xs;
  const step = xs.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => xs[Math.floor(i * step)] as number);
}

/** One metric's points for one version over [fromMs, toMs): per request from the router, per step from Prometheus. */
export async function pointsOf(
  metric: RolloutMetric,
  version: Version,
  router: Router,
  fromMs: number,
  toMs: number,
  labels?: Partial<Record<Version, string>>,
): Promise<number[]> {
  if (metric.source === "router") {
    const samples = router.samples(version, fromMs, toMs);
    return thin(samples.map((s) => (metric.measure === "latency" ? s.latencyMs : s.error)));
  }
  const label = labels?.[version] ?? version;
  const query = (metric.query ?? "").replaceAll("{{version}}", label).replaceAll("{{ version }}", label);
  // About 50 points per version per measurement: Spinnaker's minimum for a meaningful comparison.
  const stepS = Math.max(1, Math.round((toMs - fromMs) / 1000 / 50));
  return promRangeValues(metric.prometheus ?? "", query, fromMs, toMs, stepS);
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
