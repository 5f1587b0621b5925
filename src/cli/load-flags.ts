import type { ThresholdSpec } from "../core/load-plan.js";
import { parseMetricKey } from "../core/tags.js";
import { METRICS, parseThreshold } from "../core/threshold.js";
import { failUsage } from "./fail.js";

/** The flags of `withstand load` and `load merge`, and the parsing both share. */
export interface LoadFlags {
  rate?: string;
  duration?: string;
  connections?: string;
  method?: string;
  header?: string[];
  body?: string;
  workers?: string;
  segment?: string;
  segmentOf?: string;
  storeSecret?: string;
  threshold?: string[];
  summaryJson?: string;
  summaryData?: string;
  out?: string[];
  hdrLog?: string;
  allowRemote?: boolean;
  maxRequests?: string;
  timeout?: string;
  json?: boolean;
  quiet?: boolean;
  store?: string;
  group?: string;
  parallelism?: string;
  image?: string;
  name?: string;
  namespace?: string;
}

export function positiveInt(
  flag: string,
  value: string | undefined,
  fallback: number,
  max = 1_000_000_000,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    failUsage(`${flag} ${value}: expected a whole number from 1 to ${max}`);
  return n;
}

/**
 * `--threshold "http_req_duration=p(99)<300"` (k6 metric, then a k6 expression); a sub-metric such as
 * `http_req_duration{status:200}=p(95)<300` filters by tags (`declared`: the tags the requests set).
 */
export function parseThresholdFlag(text: string, declared: ReadonlySet<string> = new Set()): ThresholdSpec {
  const m = /^([a-z_]+(?:\{[^}]*\})?)\s*[=:]\s*(.+)$/.exec(text);
  if (!m) {
    failUsage(
      `--threshold ${text}: expected METRIC=EXPRESSION with METRIC one of ${METRICS.join(", ")} (or a sub-metric such as http_req_duration{status:200}), e.g. "http_req_duration=p(99)<300"`,
    );
  }
  const key = parseMetricKey(m[1] ?? "", declared);
  if (!key.ok) failUsage(`--threshold ${text}: ${key.error}`);
  const parsed = parseThreshold(m[2] ?? "", key.metric);
  if (!parsed.ok) failUsage(`--threshold ${text}: ${parsed.error}`);
  return {
    metric: key.metric,
    ...(key.sub ? { tags: key.sub.tags, submetric: m[1] } : {}),
    expression: m[2] ?? "",
    abortOnFail: false,
    delayAbortEvalMs: 0,
  };
}
