import type { RunEvent } from "../core/events.js";
import type { ActivityRun, Journal } from "../core/journal.js";
import { escapeXml, lineChart } from "../core/svg-chart.js";
import { type Timeline, timelineOf } from "../core/timeline.js";
import type { RunDetail } from "../store/store.js";

/** `withstand report RUN_ID --format html|md|junit|json`: one run, for CI, pull requests and postmortems. */
export type ReportFormat = "html" | "md" | "junit" | "json";
export const REPORT_FORMATS: readonly ReportFormat[] = ["html", "md", "junit", "json"];

interface Check {
  suite: string;
  name: string;
  ok: boolean;
  message: string;
  seconds: number;
}

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

function probeChecks(suite: string, probes: readonly ActivityRun[]): Check[] {
  return probes.map((p) => {
    const name = String(p.activity.name ?? "probe");
    const ok = p.status === "succeeded" && p.tolerance_met !== false;
    const message =
      p.status === "failed"
        ? (p.exception ?? ["failed"]).join(" ").slice(0, 500)
        : p.tolerance_met === false
          ? `tolerance not met (output: ${JSON.stringify(p.output)?.slice(0, 300)})`
          : "ok";
    return { suite, name, ok, message, seconds: p.duration };
  });
}

/** The pass/fail checks of a run, whatever its kind: hypothesis probes, thresholds, analyses. */
export function checksOf(run: RunDetail): Check[] {
  if (run.kind === "experiment" && run.journal) {
    const j: Journal = run.journal;
    const out = [
      ...probeChecks("steady state before", j.steady_states.before?.probes ?? []),
      ...j.run.map((a) => ({
        suite: "method",
        name: String(a.activity.name ?? "activity"),
        ok: a.status === "succeeded",
        message: a.status === "failed" ? (a.exception ?? ["failed"]).join(" ").slice(0, 500) : "ok",
        seconds: a.duration,
      })),
      ...probeChecks("steady state after", j.steady_states.after?.probes ?? []),
      ...j.withstand.faults.map((f) => ({
        suite: "faults reverted",
        name: `${f.kind} ${f.activity}`,
        ok: f.reverted_at !== null,
        message: f.reverted_at ? f.revert : "never reverted",
        seconds: f.reverted_at ? (Date.parse(f.reverted_at) - Date.parse(f.injected_at)) / 1000 : 0,
      })),
    ];
    return out;
  }
  if (run.kind === "load") {
    const metrics = (
      run.result as { metrics?: Record<string, { thresholds?: Record<string, { ok: boolean }> }> }
    )?.metrics;
    return Object.entries(metrics ?? {}).flatMap(([metric, m]) =>
      Object.entries(m.thresholds ?? {}).map(([expr, t]) => ({
        suite: "thresholds",
        name: `${metric} ${expr}`,
        ok: t.ok,
        message: t.ok ? "ok" : `threshold ${metric} ${expr} crossed`,
        seconds: 0,
      })),
    );
  }
  if (run.kind === "rollout") {
    return run.events.flatMap((e) =>
      e.type === "rollout-measurement"
        ? [
            {
              suite: e.step < 0 ? "background analysis" : `step ${e.step + 1} analysis`,
              name: `measurement ${e.index + 1}`,
              ok: e.phase === "Successful",
              message: e.reason,
              seconds: 0,
            },
          ]
        : [],
    );
  }
  return [];
}

export function reasonOf(run: RunDetail): string {
  if (run.journal) return run.journal.withstand.reason;
  const r = run.result as { reason?: string } | null;
  return r?.reason ?? run.outcome ?? run.status;
}

const when = (ms: number, start: number) => `+${((ms - start) / 1000).toFixed(1)}s`;

function faultRows(t: Timeline): string[][] {
  return [...t.faults, ...t.processes].map((f) => [
    f.kind,
    f.activity,
    f.targets.join(", ").slice(0, 120),
    when(f.from, t.start),
    f.to === undefined ? "ACTIVE" : when(f.to, t.start),
    f.how ?? "",
  ]);
}

function measurementEvents(events: readonly RunEvent[]) {
  return events.filter(
    (e): e is Extract<RunEvent, { type: "rollout-measurement" }> => e.type === "rollout-measurement",
  );
}

export function markdownReport(run: RunDetail): string {
  const t = timelineOf(run, run.events, run.windows);
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const table = (head: string[], rows: string[][]) =>
    rows.length === 0
      ? "_none_\n"
      : `| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|\n${rows.map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n")}\n`;
  const checks = checksOf(run);
  const lines = [
    `# ${run.title}`,
    "",
    `**${(run.outcome ?? run.status).toUpperCase()}** · ${run.kind} run \`${run.id}\` · started ${run.startedAt} · ${run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)}s` : "running"} · exit ${run.exitCode ?? "-"}`,
    "",
    `> ${reasonOf(run)}`,
    "",
    "## Checks",
    "",
    table(
      ["", "check", "result"],
      checks.map((c) => [c.ok ? "✅" : "❌", `${c.suite}: ${c.name}`, c.message]),
    ),
    "## Faults",
    "",
    table(["kind", "activity", "targets", "injected", "reverted", "how"], faultRows(t)),
  ];
  const ms = measurementEvents(run.events);
  if (ms.length > 0) {
    lines.push("## Analyses", "");
    for (const m of ms) {
      lines.push(
        `- **${m.step < 0 ? "background" : `step ${m.step + 1}`} #${m.index + 1}: ${m.phase}**${m.score !== undefined ? ` (score ${m.score})` : ""}`,
      );
      for (const v of m.metrics)
        lines.push(`  - \`${v.name}\` ${v.classification}${v.critical ? " (critical)" : ""}: ${v.reason}`);
    }
    lines.push("");
  }
  const seriesRows = Object.entries(t.series).map(([name, pts]) => {
    const count = pts.reduce((a, p) => a + p.count, 0);
    const errors = pts.reduce((a, p) => a + p.errors, 0);
    const worst = Math.max(0, ...pts.map((p) => p.p99));
    return [
      name,
      String(count),
      count ? `${((errors / count) * 100).toFixed(2)}%` : "-",
      `${worst.toFixed(1)} ms`,
    ];
  });
  lines.push("## Traffic", "", table(["series", "requests", "errors", "worst p99 (1s windows)"], seriesRows));
  lines.push(`_Generated by withstand from run ${run.id}; source ${run.source}._`, "");
  return lines.join("\n");
}

export function junitReport(run: RunDetail): string {
  const checks = checksOf(run);
  const failed = checks.filter((c) => !c.ok).length;
  const seconds = (run.durationMs ?? 0) / 1000;
  const cases = checks.map(
    (c) =>
      `    <testcase classname="${escapeXml(`${run.kind}.${c.suite}`)}" name="${escapeXml(c.name)}" time="${c.seconds.toFixed(3)}">${c.ok ? "" : `\n      <failure message="${escapeXml(c.message.slice(0, 300))}" type="${escapeXml(c.suite)}">${escapeXml(c.message)}</failure>\n    `}</testcase>`,
  );
  // A run that ended badly with no failing check still fails the suite, so CI never reports it green.
  const verdictOk = run.exitCode === 0;
  if (!verdictOk && failed === 0)
    cases.push(
      `    <testcase classname="${escapeXml(run.kind)}" name="verdict" time="${seconds.toFixed(3)}">\n      <failure message="${escapeXml(reasonOf(run))}" type="${escapeXml(run.outcome ?? run.status)}"/>\n    </testcase>`,
    );
  const total = cases.length;
  const failures = failed + (!verdictOk && failed === 0 ? 1 : 0);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="withstand" tests="${total}" failures="${failures}" time="${seconds.toFixed(3)}">
  <testsuite name="${escapeXml(run.title)}" id="${escapeXml(run.id)}" tests="${total}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}" timestamp="${escapeXml(run.startedAt)}">
    <properties>
      <property name="kind" value="${escapeXml(run.kind)}"/>
      <property name="outcome" value="${escapeXml(run.outcome ?? run.status)}"/>
      <property name="source" value="${escapeXml(run.source)}"/>
    </properties>
${cases.join("\n")}
  </testsuite>
</testsuites>
`;
}

/** The charts of a run as inline SVG: latency percentiles and error rate per series, faults shaded. */
export function chartsOf(t: Timeline): string[] {
  const spans = t.faults.map((f) => ({
    from: f.from,
    to: f.to ?? t.end,
    label: `${f.kind} ${f.activity} (${f.targets.join(", ").slice(0, 80)})`,
  }));
  const instants = [...t.checks, ...t.analyses];
  const entries = Object.entries(t.series);
  const charts: string[] = [];
  if (entries.length > 0) {
    charts.push(
      lineChart({
        title: "latency p50 / p99 (ms)",
        unit: "ms",
        from: t.start,
        to: t.end,
        spans,
        instants,
        lines: entries.flatMap(([name, pts], i) => [
          {
            name: `${name} p99`,
            color: COLORS[(2 * i + 1) % COLORS.length] ?? "#000",
            points: pts.map((p) => [p.t, p.p99] as [number, number]),
          },
          {
            name: `${name} p50`,
            color: COLORS[(2 * i) % COLORS.length] ?? "#000",
            points: pts.map((p) => [p.t, p.p50] as [number, number]),
          },
        ]),
      }),
      lineChart({
        title: "error rate",
        unit: "",
        percent: true,
        from: t.start,
        to: t.end,
        spans,
        instants,
        lines: entries.map(([name, pts], i) => ({
          name,
          color: COLORS[(i + 1) % COLORS.length] ?? "#000",
          points: pts.map((p) => [p.t, p.errorRate] as [number, number]),
        })),
      }),
    );
  }
  if (t.weights.length > 0) {
    const steps: [number, number][] = [];
    t.weights.forEach((w, i) => {
      if (i > 0) steps.push([w.t, t.weights[i - 1]?.weight ?? 0]);
      steps.push([w.t, w.weight]);
    });
    steps.push([t.end, t.weights.at(-1)?.weight ?? 0]);
    charts.push(
      lineChart({
        title: "canary weight (%)",
        unit: "%",
        from: t.start,
        to: t.end,
        instants: t.analyses,
        lines: [{ name: "canary weight", color: COLORS[4] ?? "#000", points: steps }],
      }),
    );
  }
  return charts;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--good:#059669;--bad:#dc2626;--span:rgba(220,38,38,.13)}
@media (prefers-color-scheme:dark){:root{--bg:#0f172a;--fg:#e5e7eb;--muted:#94a3b8;--line:#334155;--span:rgba(248,113,113,.2)}}
body{font:14px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg);max-width:980px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}.muted{color:var(--muted)}.badge{display:inline-block;padding:.1rem .5rem;border-radius:4px;font-weight:600;color:#fff}
.ok{background:var(--good)}.bad{background:var(--bad)}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
.chart{width:100%;height:auto;margin:.5rem 0}.chart-title{font-weight:600;fill:var(--fg);font-size:13px}.axis,.legend{font-size:11px;fill:var(--muted)}.grid{stroke:var(--line)}
.fault-span{fill:var(--span)}.instant{stroke-dasharray:3 3}.instant.good{stroke:var(--good)}.instant.bad{stroke:var(--bad)}
`;

export function htmlReport(run: RunDetail): string {
  const t = timelineOf(run, run.events, run.windows);
  const checks = checksOf(run);
  const good = run.exitCode === 0;
  const rows = (cells: string[][]) =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`).join("");
  const ms = measurementEvents(run.events);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(run.title)} · withstand report</title><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(run.title)}</h1>
<p><span class="badge ${good ? "ok" : "bad"}">${escapeXml((run.outcome ?? run.status).toUpperCase())}</span>
<span class="muted">${escapeXml(run.kind)} run ${escapeXml(run.id)} · started ${escapeXml(run.startedAt)} · ${run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)}s` : "running"} · exit ${run.exitCode ?? "-"} · ${escapeXml(run.source)}</span></p>
<p>${escapeXml(reasonOf(run))}</p>
${chartsOf(t).join("\n")}
<h2>Checks</h2><table><tr><th></th><th>check</th><th>result</th></tr>${checks.map((c) => `<tr><td>${c.ok ? "✅" : "❌"}</td><td>${escapeXml(`${c.suite}: ${c.name}`)}</td><td>${escapeXml(c.message)}</td></tr>`).join("")}</table>
<h2>Faults</h2><table><tr><th>kind</th><th>activity</th><th>targets</th><th>injected</th><th>reverted</th><th>how</th></tr>${rows(faultRows(t))}</table>
${
  ms.length > 0
    ? `<h2>Analyses</h2>${ms
        .map(
          (m) =>
            `<h3>${escapeXml(`${m.step < 0 ? "background" : `step ${m.step + 1}`} #${m.index + 1}: ${m.phase}${m.score !== undefined ? ` (score ${m.score})` : ""}`)}</h3><table>${rows(m.metrics.map((v) => [v.name, `${v.classification}${v.critical ? " (critical)" : ""}`, v.reason]))}</table>`,
        )
        .join("")}`
    : ""
}
<p class="muted">Generated by withstand ${new Date().toISOString()}. This file is self-contained.</p>
</body></html>
`;
}

export function renderReport(run: RunDetail, format: ReportFormat): string {
  switch (format) {
    case "md":
      return markdownReport(run);
    case "junit":
      return junitReport(run);
    case "html":
      return htmlReport(run);
    case "json":
      return `${JSON.stringify({ ...run, windows: undefined, timeline: timelineOf(run, run.events, run.windows), checks: checksOf(run) }, null, 2)}\n`;
  }
}
