import { formatDuration } from "../core/duration.js";
import type { LoadPlan } from "../core/load-plan.js";
import { tagKey } from "../core/tags.js";
import type { ThresholdResult } from "../core/threshold.js";
import { subWindow, summarize, type Window } from "../core/window.js";

/** k6's summaryTrendStats default: the trend columns its end-of-test summary (textSummary) prints. */
export const SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)"] as const;

/** A group as handleSummary(data) gives it: its sub-groups and checks as lists (k6's lib/models). */
export interface SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: SummaryGroup[];
  checks: { name: string; path: string; id: string; passes: number; fails: number }[];
}

/**
 * The summary data k6 hands to handleSummary(data): the root group, the options the summary is
 * printed with, the run's state, and per metric its type, values and thresholds {ok}; so k6's summary
 * library (`textSummary(data)`) renders it as it renders k6's own.
 */
export interface SummaryJson {
  root_group: SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  metrics: Record<
    string,
    {
      type: string;
      contains: string;
      values: Record<string, number>;
      thresholds?: Record<string, { ok: boolean }>;
    }
  >;
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  withstand: {
    name: string;
    executor: string;
    sent: number;
    late: number;
    abortedBy: string | null;
    latency: "intended";
  };
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

export function summaryJson(
  plan: LoadPlan,
  total: Window,
  thresholds: ThresholdResult[],
  sent: number,
  abortedBy?: string,
): SummaryJson {
  const s = summarize(total);
  const seconds = s.durationMs / 1000 || 1;
  const byMetric = (metric: string) => {
    const list = thresholds.filter((t) => (t.submetric ?? t.metric) === metric);
    return list.length === 0
      ? {}
      : { thresholds: Object.fromEntries(list.map((t) => [t.expression, { ok: t.ok }])) };
  };
  const counter = (count: number) => ({ count, rate: r3(count / seconds) });
  const trend = (l: typeof s.latencyMs, count = s.count) => ({
    count,
    avg: r3(l.avg),
    min: r3(l.min),
    med: r3(l.med),
    max: r3(l.max),
    "p(90)": r3(l.p90),
    "p(95)": r3(l.p95),
    "p(99)": r3(l.p99),
  });
  const service = summarize(total, total.service);
  // k6 lists each sub-metric a threshold names as a metric of its own, e.g. "http_req_duration{type:API}".
  const subs: SummaryJson["metrics"] = {};
  for (const t of plan.thresholds) {
    if (!t.tags || !t.submetric || subs[t.submetric]) continue;
    const w = summarize(subWindow(total, tagKey(t.tags)));
    const values =
      t.metric === "http_req_duration"
        ? { type: "trend", contains: "time", values: trend(w.latencyMs, w.count) }
        : t.metric === "http_req_failed"
          ? {
              type: "rate",
              contains: "default",
              values: { rate: r3(w.errorRate), passes: w.errors, fails: w.count - w.errors, count: w.count },
            }
          : { type: "counter", contains: "default", values: counter(w.count) };
    subs[t.submetric] = { ...values, ...byMetric(t.submetric) };
  }
  return {
    // withstand's requests are not grouped and have no k6 checks: the root group is empty.
    root_group: { name: "", path: "", id: ROOT_GROUP_ID, groups: [], checks: [] },
    options: { summaryTrendStats: [...SUMMARY_TREND_STATS], summaryTimeUnit: "", noColor: false },
    metrics: {
      http_reqs: { type: "counter", contains: "default", values: counter(s.count), ...byMetric("http_reqs") },
      iterations: {
        type: "counter",
        contains: "default",
        values: counter(s.count),
        ...byMetric("iterations"),
      },
      http_req_duration: {
        type: "trend",
        contains: "time",
        values: trend(s.latencyMs),
        ...byMetric("http_req_duration"),
      },
      http_req_service_duration: { type: "trend", contains: "time", values: trend(service.latencyMs) },
      http_req_failed: {
        type: "rate",
        contains: "default",
        values: { rate: r3(s.errorRate), passes: s.errors, fails: s.count - s.errors, count: s.count },
        ...byMetric("http_req_failed"),
      },
      dropped_iterations: {
        type: "counter",
        contains: "default",
        values: counter(s.dropped),
        ...byMetric("dropped_iterations"),
      },
      ...subs,
    },
    state: {
      isStdOutTTY: process.stdout.isTTY === true,
      isStdErrTTY: process.stderr.isTTY === true,
      testRunDurationMs: Math.round(s.durationMs),
    },
    withstand: {
      name: plan.name,
      executor: plan.executor.type,
      sent,
      late: s.late,
      abortedBy: abortedBy ?? null,
      latency: "intended",
    },
  };
}

/** The md5 of "", k6's id of the root group. */
const ROOT_GROUP_ID = "d41d8cd98f00b204e9800998ecf8427e";

/**
 * k6's `--summary-export` file, the shape k6 tooling reads: each metric's values flattened onto it, a
 * rate metric's `value` (with passes and fails), thresholds as booleans where `true` means the
 * threshold FAILED (k6's long-standing convention, grafana/k6#1498), and the root group.
 */
export function summaryExport(data: SummaryJson): Record<string, unknown> {
  const metrics: Record<string, Record<string, unknown>> = {};
  for (const [name, m] of Object.entries(data.metrics)) {
    const v = m.values;
    const flat: Record<string, unknown> =
      m.type === "rate"
        ? { passes: v.passes, fails: v.fails, value: v.rate }
        : m.type === "trend"
          ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "count"))
          : { ...v };
    if (m.thresholds)
      flat.thresholds = Object.fromEntries(Object.entries(m.thresholds).map(([e, t]) => [e, !t.ok]));
    metrics[name] = flat;
  }
  return {
    root_group: { name: "", path: "", id: ROOT_GROUP_ID, groups: {}, checks: {} },
    metrics,
    withstand: data.withstand,
  };
}

function ms(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(2)}s`;
  if (n >= 1) return `${n.toFixed(2)}ms`;
  return `${Math.round(n * 1000)}µs`;
}

function dotted(label: string, value: string): string {
  return `    ${label}${".".repeat(Math.max(2, 32 - label.length))}: ${value}`;
}

/** A k6-style end-of-test summary: thresholds first, each ✓ or ✗, then the totals. */
export function summaryText(total: Window, thresholds: ThresholdResult[], abortedBy?: string): string {
  const s = summarize(total);
  const svc = summarize(total, total.service);
  const seconds = s.durationMs / 1000 || 1;
  const lines: string[] = [];
  if (thresholds.length > 0) {
    lines.push("  █ THRESHOLDS", "");
    const metrics = [...new Set(thresholds.map((t) => t.submetric ?? t.metric))];
    for (const m of metrics) {
      lines.push(`    ${m}`);
      for (const t of thresholds.filter((x) => (x.submetric ?? x.metric) === m)) {
        const agg = t.expression.split(/[<>=!]/)[0]?.trim() ?? "";
        const actual =
          t.actual === undefined
            ? "n/a"
            : t.metric === "http_req_duration"
              ? ms(t.actual)
              : t.metric === "http_req_failed" && agg === "rate"
                ? `${(t.actual * 100).toFixed(2)}%`
                : String(Math.round(t.actual * 1000) / 1000);
        lines.push(`    ${t.ok ? "✓" : "✗"} '${t.expression}' ${agg}=${actual}`);
      }
      lines.push("");
    }
  }
  const l = s.latencyMs;
  const v = svc.latencyMs;
  lines.push("  █ TOTAL RESULTS", "");
  lines.push(
    dotted(
      "http_req_duration",
      `avg=${ms(l.avg)} min=${ms(l.min)} med=${ms(l.med)} max=${ms(l.max)} p(90)=${ms(l.p90)} p(95)=${ms(l.p95)} p(99)=${ms(l.p99)}`,
    ),
  );
  lines.push(
    dotted(
      "  service time (no queueing)",
      `avg=${ms(v.avg)} med=${ms(v.med)} p(99)=${ms(v.p99)} max=${ms(v.max)}`,
    ),
  );
  lines.push(
    dotted(
      "http_req_failed",
      `${(s.errorRate * 100).toFixed(2)}% ${s.errors} out of ${s.count}${
        Object.keys(total.errorClasses).length
          ? ` (${Object.entries(total.errorClasses)
              .map(([k, n]) => `${k}: ${n}`)
              .join(", ")})`
          : ""
      }`,
    ),
  );
  lines.push(dotted("http_reqs", `${s.count} ${(s.count / seconds).toFixed(1)}/s`));
  lines.push(dotted("dropped_iterations", `${s.dropped} ${(s.dropped / seconds).toFixed(1)}/s`));
  lines.push(dotted("late (started >10ms late)", `${s.late}`));
  lines.push(
    dotted(
      "status codes",
      Object.entries(total.statusCodes)
        .map(([k, n]) => `${k}: ${n}`)
        .join(", ") || "none",
    ),
  );
  lines.push(dotted("duration", formatDuration(s.durationMs)));
  if (abortedBy) lines.push("", `  ✗ stopped early: threshold ${abortedBy} crossed (abortOnFail)`);
  return `${lines.join("\n")}\n`;
}

/** One NDJSON line per window: counts, percentiles, and the histograms as base64. */
export function windowLine(w: Window, encoded: { latency: string; service: string }): string {
  const s = summarize(w);
  return JSON.stringify({
    type: "window",
    start: new Date(w.start).toISOString(),
    end: new Date(w.end).toISOString(),
    count: w.count,
    errors: w.errors,
    errorClasses: w.errorClasses,
    statusCodes: w.statusCodes,
    dropped: w.dropped,
    late: w.late,
    latency_ms: { p50: s.latencyMs.med, p90: s.latencyMs.p90, p99: s.latencyMs.p99, max: s.latencyMs.max },
    latency: encoded.latency,
    service: encoded.service,
  });
}
