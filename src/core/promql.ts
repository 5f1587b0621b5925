import { RulesError } from "./errors.js";
import type { MetricSource, Slo } from "./slo-model.js";

/** PromQL built from OpenSLO metric sources: what recording rules, alerts and SLO status query. */

/** `{{.window}}` is filled per window (as in Sloth); a bare counter selector becomes sum(rate(SELECTOR[window])). */
export function windowQuery(source: MetricSource, window: string, counter: boolean): string {
  if (source.query.includes("{{.window}}")) return source.query.replaceAll("{{.window}}", window);
  const bare = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?$/.test(source.query.trim());
  if (counter && bare) return `sum(rate(${source.query.trim()}[${window}]))`;
  return source.query;
}

/** The error ratio over a window, computed from counts (rates over the same window), never from averaged ratios. */
export function errorRatioExpr(slo: Slo, window: string): string {
  const ratio = slo.indicator.ratio;
  if (!ratio)
    throw new RulesError(
      `${slo.loc}: SLO ${slo.name}: rules need a ratioMetric indicator (thresholdMetric rules are not generated)`,
    );
  for (const s of [ratio.total, ratio.good, ratio.bad]) {
    if (s && s.type !== "prometheus")
      throw new RulesError(
        `${slo.loc}: SLO ${slo.name}: rules need a prometheus metric source, got ${s.type}`,
      );
  }
  const total = windowQuery(ratio.total, window, ratio.counter);
  if (ratio.bad) return `(${windowQuery(ratio.bad, window, ratio.counter)})\n/\n(${total})`;
  return `1 - (\n(${windowQuery(ratio.good as MetricSource, window, ratio.counter)})\n/\n(${total})\n)`;
}
