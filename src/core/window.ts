import { decodeHistogram, encodeHistogram, type Histogram, newHistogram, recordMicros } from "./histogram.js";

/**
 * The one measurement model: a window of traffic. Load runs, the router and Prometheus all produce
 * windows; thresholds, SLOs, canary analysis and the dashboard consume them.
 */
export interface Window {
  start: number;
  end: number;
  count: number;
  errors: number;
  /** Errors by class: "5xx", "4xx", "timeout", "connect", ... */
  errorClasses: Record<string, number>;
  statusCodes: Record<string, number>;
  /** Latency measured from the intended send time (wrk2 semantics), in µs. */
  latency: Histogram;
  labels: Record<string, string>;
}

export interface StoredWindow extends Omit<Window, "latency"> {
  latency: string;
}

export function newWindow(start: number, labels: Record<string, string> = {}): Window {
  return {
    start,
    end: start,
    count: 0,
    errors: 0,
    errorClasses: {},
    statusCodes: {},
    latency: newHistogram(),
    labels,
  };
}

export interface Sample {
  latencyMicros: number;
  status?: number | undefined;
  errorClass?: string | undefined;
}

export function recordSample(w: Window, s: Sample): void {
  w.count += 1;
  recordMicros(w.latency, s.latencyMicros);
  if (s.status !== undefined) w.statusCodes[String(s.status)] = (w.statusCodes[String(s.status)] ?? 0) + 1;
  if (s.errorClass !== undefined) {
    w.errors += 1;
    w.errorClasses[s.errorClass] = (w.errorClasses[s.errorClass] ?? 0) + 1;
  }
}

/** Merging is exact: counts add and histograms add bucket by bucket. */
export function mergeWindows(windows: readonly Window[], labels: Record<string, string> = {}): Window {
  const first = windows[0];
  const out = newWindow(first?.start ?? 0, labels);
  for (const w of windows) {
    out.start = Math.min(out.start, w.start);
    out.end = Math.max(out.end, w.end);
    out.count += w.count;
    out.errors += w.errors;
    for (const [k, v] of Object.entries(w.errorClasses)) out.errorClasses[k] = (out.errorClasses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(w.statusCodes)) out.statusCodes[k] = (out.statusCodes[k] ?? 0) + v;
    out.latency.add(w.latency);
  }
  return out;
}

export function toStored(w: Window): StoredWindow {
  return { ...w, latency: encodeHistogram(w.latency) };
}

export function fromStored(w: StoredWindow): Window {
  return { ...w, latency: decodeHistogram(w.latency) };
}

export interface WindowSummary {
  count: number;
  errors: number;
  errorRate: number;
  durationMs: number;
  rate: number;
  latencyMs: { min: number; avg: number; med: number; max: number; p90: number; p95: number; p99: number };
  percentileMs: (p: number) => number;
}

export function summarize(w: Window): WindowSummary {
  const h = w.latency;
  const ms = (us: number) => us / 1000;
  const has = h.totalCount > 0;
  const durationMs = Math.max(0, w.end - w.start);
  return {
    count: w.count,
    errors: w.errors,
    errorRate: w.count > 0 ? w.errors / w.count : 0,
    durationMs,
    rate: durationMs > 0 ? (w.count * 1000) / durationMs : 0,
    latencyMs: {
      min: has ? ms(h.minNonZeroValue) : 0,
      avg: has ? ms(h.mean) : 0,
      med: has ? ms(h.getValueAtPercentile(50)) : 0,
      max: has ? ms(h.maxValue) : 0,
      p90: has ? ms(h.getValueAtPercentile(90)) : 0,
      p95: has ? ms(h.getValueAtPercentile(95)) : 0,
      p99: has ? ms(h.getValueAtPercentile(99)) : 0,
    },
    percentileMs: (p: number) => (has ? ms(h.getValueAtPercentile(p)) : 0),
  };
}
