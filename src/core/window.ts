import {
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  type LatencyBatch,
  newHistogram,
  recordMicros,
} from "./histogram.js";

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
  /** Service time: from the actual send to the response, in µs. Producers without a separate service time (a closed model) copy the latency in when the window closes. */
  service: Histogram;
  /** Requests that could not be started at all (k6's dropped_iterations). */
  dropped: number;
  /** Requests started more than LATE_MS after their intended time. */
  late: number;
  labels: Record<string, string>;
  /** The requests each sub-metric filter matched, by its canonical tag key (see core/tags.ts). */
  tagged?: Record<string, Window>;
}

export interface StoredWindow extends Omit<Window, "latency" | "service" | "tagged"> {
  latency: string;
  service: string;
  tagged?: Record<string, StoredWindow>;
}

export const LATE_MS = 10;

export function newWindow(start: number, labels: Record<string, string> = {}): Window {
  return {
    start,
    end: start,
    count: 0,
    errors: 0,
    errorClasses: {},
    statusCodes: {},
    latency: newHistogram(),
    service: newHistogram(),
    dropped: 0,
    late: 0,
    labels,
  };
}

export interface Sample {
  latencyMicros: number;
  /** Recorded only when given; see Window.service. */
  serviceMicros?: number | undefined;
  status?: number | undefined;
  errorClass?: string | undefined;
}

/** A window's latencies counted by value, to go into its histograms when it closes (see LatencyBatch). */
export interface SampleBatches {
  latency: LatencyBatch;
  service: LatencyBatch;
}

/** Records a sample; with `batches`, its latencies wait there until `flushBatches` (a hot producer's path). */
export function recordSample(w: Window, s: Sample, batches?: SampleBatches): void {
  w.count += 1;
  if (batches) batches.latency.add(s.latencyMicros);
  else recordMicros(w.latency, s.latencyMicros);
  if (s.serviceMicros !== undefined) {
    if (batches) batches.service.add(s.serviceMicros);
    else recordMicros(w.service, s.serviceMicros);
    if (s.latencyMicros - s.serviceMicros > LATE_MS * 1000) w.late += 1;
  }
  if (s.status !== undefined) w.statusCodes[String(s.status)] = (w.statusCodes[String(s.status)] ?? 0) + 1;
  if (s.errorClass !== undefined) {
    w.errors += 1;
    w.errorClasses[s.errorClass] = (w.errorClasses[s.errorClass] ?? 0) + 1;
  }
}

/** Puts a window's batched latencies into its histograms; the batches are empty and reusable after. */
export function flushBatches(w: Window, batches: SampleBatches): void {
  batches.latency.flushInto(w.latency);
  batches.service.flushInto(w.service);
}

/** Merging is exact: counts add and histograms add bucket by bucket. */
export function mergeWindows(windows: readonly Window[], labels: Record<string, string> = {}): Window {
  const first = windows[0];
  const out = newWindow(first?.start ?? 0, labels);
  for (const w of windows) {
    out.start = Math.min(out.start, w.start);
    out.end = Math.max(out.end, w.end);
    addInto(out, w);
  }
  return out;
}

/** Adds `w` into `into` in place (for running totals that must not grow with the test's length). */
export function addInto(into: Window, w: Window): void {
  into.count += w.count;
  into.errors += w.errors;
  into.dropped += w.dropped;
  into.late += w.late;
  for (const [k, v] of Object.entries(w.errorClasses)) into.errorClasses[k] = (into.errorClasses[k] ?? 0) + v;
  for (const [k, v] of Object.entries(w.statusCodes)) into.statusCodes[k] = (into.statusCodes[k] ?? 0) + v;
  into.latency.add(w.latency);
  into.service.add(w.service);
  for (const [k, sub] of Object.entries(w.tagged ?? {})) addInto(taggedWindow(into, k), sub);
}

/** The sub-window of `w` for a tag key, created on first use with the same span as `w`. */
export function taggedWindow(w: Window, key: string): Window {
  w.tagged ??= {};
  let sub = w.tagged[key];
  if (!sub) {
    sub = newWindow(w.start);
    sub.end = w.end;
    w.tagged[key] = sub;
  }
  return sub;
}

/** The requests of a tag key over `w` (an empty window when none matched), spanning `w`. */
export function subWindow(w: Window, key: string): Window {
  const sub = w.tagged?.[key] ?? newWindow(w.start);
  return { ...sub, start: w.start, end: w.end };
}

export function toStored(w: Window): StoredWindow {
  const { tagged, ...rest } = w;
  return {
    ...rest,
    latency: encodeHistogram(w.latency),
    service: encodeHistogram(w.service),
    ...(tagged
      ? { tagged: Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, toStored(v)])) }
      : {}),
  };
}

export function fromStored(w: StoredWindow): Window {
  const { tagged, ...rest } = w;
  return {
    ...rest,
    latency: decodeHistogram(w.latency),
    service: w.service ? decodeHistogram(w.service) : newHistogram(),
    dropped: w.dropped ?? 0,
    late: w.late ?? 0,
    ...(tagged
      ? { tagged: Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, fromStored(v)])) }
      : {}),
  };
}

export interface WindowSummary {
  count: number;
  errors: number;
  errorRate: number;
  dropped: number;
  late: number;
  durationMs: number;
  rate: number;
  latencyMs: { min: number; avg: number; med: number; max: number; p90: number; p95: number; p99: number };
  percentileMs: (p: number) => number;
}

export function summarize(w: Window, h: Histogram = w.latency): WindowSummary {
  const ms = (us: number) => us / 1000;
  const has = h.totalCount > 0;
  const durationMs = Math.max(0, w.end - w.start);
  return {
    count: w.count,
    errors: w.errors,
    errorRate: w.count > 0 ? w.errors / w.count : 0,
    dropped: w.dropped,
    late: w.late,
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
