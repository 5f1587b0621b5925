import type { ThresholdSpec } from "../core/load-plan.js";
import { METRICS, type MetricName, parseThreshold } from "../core/threshold.js";
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

/** `--threshold "http_req_duration=p(99)<300"` (k6 metric, then a k6 expression). */
export function parseThresholdFlag(text: string): ThresholdSpec {
  const m = /^([a-z_]+)\s*[=:]\s*(.+)$/.exec(text);
  if (!m || !METRICS.includes(m[1] as MetricName)) {
    failUsage(
      `--threshold ${text}: expected METRIC=EXPRESSION with METRIC one of ${METRICS.join(", ")}, e.g. "http_req_duration=p(99)<300"`,
    );
  }
  const parsed = parseThreshold(m[2] ?? "");
  if (!parsed.ok) failUsage(`--threshold ${text}: ${parsed.error}`);
  return { metric: m[1] as MetricName, expression: m[2] ?? "", abortOnFail: false, delayAbortEvalMs: 0 };
}
