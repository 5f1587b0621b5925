import { RulesError } from "./errors.js";
import type { MetricSource, Slo } from "./slo-model.js";

/** PromQL built from OpenSLO metric sources: what recording rules, alerts and SLO status query. */

const BARE_SELECTOR = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?$/;
/** A range in a range-vector selector, `[5m]` (not a subquery `[1h:1m]`). */
const RANGE = /\[\s*\d+(?:ms|[smhdwy])\s*\]/g;

/**
 * A source's query over one window, so that a 28-day rule really covers 28 days: `{{.window}}` is
 * filled in (as in Sloth); a bare counter selector becomes sum(rate(SELECTOR[window])) and a bare
 * gauge avg_over_time(SELECTOR[window]); a query with exactly one range (`sum(rate(x[5m]))`) gets the
 * window as that range. Anything else cannot be rewritten safely and is refused: the same expression
 * for every window would make every long-window alert a 5-minute one.
 */
export function windowQuery(source: MetricSource, window: string, counter: boolean): string {
  const query = source.query.trim();
  if (query.includes("{{.window}}")) return query.replaceAll("{{.window}}", window);
  if (BARE_SELECTOR.test(query))
    return counter ? `sum(rate(${query}[${window}]))` : `avg_over_time(${query}[${window}])`;
  const ranges = query.match(RANGE) ?? [];
  if (ranges.length === 1) return query.replace(RANGE, `[${window}]`);
  throw new RulesError(
    `query ${JSON.stringify(query)} ${ranges.length === 0 ? "has no range" : `has ${ranges.length} ranges`}, so it cannot be measured over each window (expected a bare selector such as http_requests_total{code=~"5.."}, a query with one range such as sum(rate(x[5m])), or {{.window}} where the range goes)`,
  );
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
  const q = (source: MetricSource) => {
    try {
      return windowQuery(source, window, ratio.counter);
    } catch (err) {
      throw new RulesError(`${slo.loc}: SLO ${slo.name}: ${(err as Error).message}`);
    }
  };
  const total = q(ratio.total);
  if (ratio.bad) return `(${q(ratio.bad)})\n/\n(${total})`;
  return `1 - (\n(${q(ratio.good as MetricSource)})\n/\n(${total})\n)`;
}
