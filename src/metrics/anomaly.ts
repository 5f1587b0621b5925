import { type AnomalyCheck, type AnomalyVerdict, judgeLatest, type Point } from "../core/anomaly.js";
import { SourceError } from "../core/errors.js";
import type { MetricProvider } from "../core/metric-provider.js";
import { promQuery } from "./prometheus.js";

/**
 * The anomaly detector as a judge: the check's Prometheus range query over its history, judged at its
 * latest step. The one implementation behind the `anomaly` tolerance, the `anomaly` analysis provider
 * and the `anomaly` stop condition.
 */
export async function judgeAnomaly(
  check: AnomalyCheck,
  atMs: number,
  opts: { timeoutMs?: number | undefined } = {},
): Promise<AnomalyVerdict> {
  const toMs = Math.floor(atMs / check.stepMs) * check.stepMs;
  const series = await promQuery(
    check.prometheus,
    "query_range",
    {
      query: check.query,
      start: String((toMs - check.historyMs) / 1000),
      end: String(toMs / 1000),
      step: String(check.stepMs / 1000),
    },
    { timeoutMs: opts.timeoutMs ?? 30_000 },
  );
  if (series.length > 1)
    throw new SourceError(
      `anomaly: ${check.query} returns ${series.length} series at ${check.prometheus} (expected one: aggregate it, e.g. sum(...))`,
    );
  const points: Point[] = (series[0]?.values ?? []).map(([t, v]) => ({
    t: Math.round((t * 1000) / check.stepMs) * check.stepMs,
    v: Number(v),
  }));
  const verdict = judgeLatest(points, check.stepMs, check.config);
  // A series that stopped reporting is not judged on stale history.
  const last = points.at(-1);
  if (last && last.t < toMs - check.stepMs)
    return { anomalous: false, reason: `not judged: the latest point is ${new Date(last.t).toISOString()}` };
  return verdict;
}

/** `provider: {anomaly: {...}}` in an AnalysisTemplate: the result is 1 when anomalous, else 0. */
export const anomalyProvider: MetricProvider = {
  type: "anomaly",
  async instant(q) {
    if (!q.address || !q.query || !q.anomaly)
      throw new SourceError(
        "an anomaly query needs a Prometheus address, a query and the detector's settings",
      );
    const v = await judgeAnomaly({ ...q.anomaly, prometheus: q.address, query: q.query }, q.atMs, {
      timeoutMs: q.timeoutMs,
    });
    return v.anomalous ? 1 : 0;
  },
};
