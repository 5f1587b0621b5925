import type { WindowSummary } from "./window.js";

/** k6 threshold expressions: `p(99)<300`, `rate<0.01`, `avg<=200`, `count>100`, `med`, `min`, `max`. */
export type Aggregation =
  | { kind: "avg" | "min" | "max" | "med" | "count" | "rate" | "value" }
  | { kind: "p"; percentile: number };
export type Operator = "<" | "<=" | ">" | ">=" | "==" | "===" | "!=";

export interface Threshold {
  source: string;
  aggregation: Aggregation;
  op: Operator;
  value: number;
}

export type ThresholdParse = { ok: true; threshold: Threshold } | { ok: false; error: string };

const EXPR =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;

/** The k6 type of each built-in metric withstand measures (k6's metrics/builtin.go). */
export type MetricType = "trend" | "rate" | "counter" | "gauge";

/** The aggregations k6 allows on each metric type (metrics/metric_type.go supportedAggregationMethods). */
const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  counter: ["count", "rate"],
  gauge: ["value"],
  rate: ["rate"],
  trend: ["avg", "min", "max", "med", "p(N)"],
};

/**
 * Parses a k6 threshold expression; with the metric it applies to, an aggregation that metric's type
 * does not have (`rate` of a trend, `p(95)` of a rate) is refused, as k6 refuses it at start-up
 * instead of failing the threshold at the end of every run.
 */
export function parseThreshold(source: string, metric?: MetricName): ThresholdParse {
  const parsed = parseExpression(source);
  if (!parsed.ok || metric === undefined) return parsed;
  const type = METRIC_TYPES[metric];
  const agg = parsed.threshold.aggregation.kind;
  const allowed = AGGREGATIONS[type];
  if (allowed.includes(agg === "p" ? "p(N)" : agg)) return parsed;
  return {
    ok: false,
    error: `threshold ${JSON.stringify(source)} on ${metric}: ${metric} is a ${type} metric, which has no ${agg === "p" ? "percentiles" : agg} (expected one of ${allowed.join(", ")}, as k6 allows on a ${type})`,
  };
}

function parseExpression(source: string): ThresholdParse {
  const m = EXPR.exec(source);
  if (!m) {
    return {
      ok: false,
      error: `invalid threshold ${JSON.stringify(source)} (expected AGGREGATION OPERATOR NUMBER, e.g. "p(99)<300" or "rate<0.01")`,
    };
  }
  const [, agg = "", pct, op = "<", num = "0"] = m;
  let aggregation: Aggregation;
  if (pct !== undefined) {
    const percentile = Number(pct);
    if (percentile < 0 || percentile > 100) {
      return {
        ok: false,
        error: `invalid threshold ${JSON.stringify(source)}: percentile must be within 0..100`,
      };
    }
    aggregation = { kind: "p", percentile };
  } else {
    aggregation = { kind: agg.toLowerCase() as "avg" };
  }
  return { ok: true, threshold: { source, aggregation, op: op as Operator, value: Number(num) } };
}

export function compare(actual: number, op: Operator, expected: number): boolean {
  switch (op) {
    case "<":
      return actual < expected;
    case "<=":
      return actual <= expected;
    case ">":
      return actual > expected;
    case ">=":
      return actual >= expected;
    case "==":
    case "===":
      return actual === expected;
    case "!=":
      return actual !== expected;
  }
}

export type MetricName =
  | "http_req_duration"
  | "http_req_failed"
  | "http_reqs"
  | "iterations"
  | "dropped_iterations";
export const METRICS: readonly MetricName[] = [
  "http_req_duration",
  "http_req_failed",
  "http_reqs",
  "iterations",
  "dropped_iterations",
];

export const METRIC_TYPES: Readonly<Record<MetricName, MetricType>> = {
  http_req_duration: "trend",
  http_req_failed: "rate",
  http_reqs: "counter",
  iterations: "counter",
  dropped_iterations: "counter",
};

/** Reads one aggregation of one k6 metric from a summary of windows; undefined when it does not apply. */
export function metricValue(
  metric: MetricName,
  agg: Aggregation,
  s: WindowSummary,
  dropped = 0,
): number | undefined {
  switch (metric) {
    case "http_req_duration": {
      if (agg.kind === "p") return s.percentileMs(agg.percentile);
      if (agg.kind === "avg") return s.latencyMs.avg;
      if (agg.kind === "min") return s.latencyMs.min;
      if (agg.kind === "max") return s.latencyMs.max;
      if (agg.kind === "med") return s.latencyMs.med;
      return undefined;
    }
    case "http_req_failed":
      if (agg.kind === "rate") return s.errorRate;
      return undefined;
    case "http_reqs":
    case "iterations":
      if (agg.kind === "count") return s.count;
      if (agg.kind === "rate") return s.rate;
      return undefined;
    case "dropped_iterations":
      if (agg.kind === "count") return dropped;
      if (agg.kind === "rate") return s.durationMs > 0 ? (dropped * 1000) / s.durationMs : 0;
      return undefined;
  }
}

export interface ThresholdResult {
  metric: MetricName;
  /** The sub-metric as written (`http_req_duration{type:API}`) when the threshold filters by tags. */
  submetric?: string | undefined;
  expression: string;
  ok: boolean;
  actual: number | undefined;
}

export function evaluateThreshold(
  metric: MetricName,
  t: Threshold,
  s: WindowSummary,
  dropped = 0,
): ThresholdResult {
  const actual = metricValue(metric, t.aggregation, s, dropped);
  return { metric, expression: t.source, ok: actual !== undefined && compare(actual, t.op, t.value), actual };
}
