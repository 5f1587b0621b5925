import type { MetricName } from "./threshold.js";

/** A load test as the generator runs it; the LoadTest document, the quick CLI form and the `load` activity all become one. */
export interface RequestTemplate {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  weight: number;
  /** k6-style request tags, which sub-metric thresholds filter on (`http_req_duration{type:API}`). */
  tags?: Record<string, string> | undefined;
}

export interface Stage {
  target: number;
  durationMs: number;
}

export type Executor =
  | { type: "constant-arrival-rate"; rate: number; durationMs: number }
  | { type: "ramping-arrival-rate"; startRate: number; stages: Stage[] }
  | { type: "constant-vus"; vus: number; durationMs: number }
  | { type: "ramping-vus"; startVUs: number; stages: Stage[] };

export const EXECUTORS = [
  "constant-arrival-rate",
  "ramping-arrival-rate",
  "constant-vus",
  "ramping-vus",
] as const;

/**
 * The gate of a load run that names no threshold: it fails when more than half of its requests
 * failed or could not connect. A run where every request failed is never "passed". Any threshold
 * given replaces it (`--threshold "http_req_failed=rate<=1"` turns it off).
 */
export const DEFAULT_GATE: ThresholdSpec = {
  metric: "http_req_failed",
  expression: "rate<0.5",
  abortOnFail: false,
  delayAbortEvalMs: 0,
  loc: "the default gate (no thresholds given)",
};

export interface ThresholdSpec {
  metric: MetricName;
  /** A sub-metric's tag filter (`{type: "API"}`); the threshold judges only matching requests. */
  tags?: Record<string, string> | undefined;
  /** The sub-metric as written, e.g. `http_req_duration{type:API}`. */
  submetric?: string | undefined;
  expression: string;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  /** file:line:col of the expression, when it came from a document. */
  loc?: string | undefined;
}

export interface Segment {
  /** 1-based index of this share. */
  index: number;
  count: number;
}

export interface LoadPlan {
  name: string;
  executor: Executor;
  requests: RequestTemplate[];
  /** Keep-alive connections (open model: the most requests in flight at once). */
  connections: number;
  timeoutMs: number;
  /** Hard bound on requests sent, whatever the executor says. */
  maxRequests: number;
  thresholds: ThresholdSpec[];
  workers: number;
  segment?: Segment | undefined;
}

export function executorDurationMs(e: Executor): number {
  switch (e.type) {
    case "constant-arrival-rate":
    case "constant-vus":
      return e.durationMs;
    case "ramping-arrival-rate":
    case "ramping-vus":
      return e.stages.reduce((n, s) => n + s.durationMs, 0);
  }
}

export function isOpenModel(e: Executor): boolean {
  return e.type === "constant-arrival-rate" || e.type === "ramping-arrival-rate";
}

/** Parses "1000/s", "60/m", "10" (per second). */
export function parseRate(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text > 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  if (!m) return undefined;
  const per = { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s"] ?? 1;
  const rate = Number(m[1]) / per;
  return rate > 0 ? rate : undefined;
}

/** Parses "i/N" for --segment. */
export function parseSegment(text: string): Segment | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : undefined;
}
