import { readFileSync, statSync, writeFileSync } from "node:fs";
import {
  type AnomalyConfig,
  anomalies,
  DEFAULT_ANOMALY,
  detect,
  explain,
  type Point,
  WEEK_MS,
  WEEKLY_AVERAGE_PRESET,
} from "../core/anomaly.js";
import { anomalyRules, unbalancedPromQl } from "../core/anomaly-rules.js";
import { formatDuration, parseDuration } from "../core/duration.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { seeded } from "../core/stats.js";
import { parseLongDuration } from "../documents/risk-catalog.js";
import { promQuery } from "../metrics/prometheus.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";

export interface AnomalyFlags {
  prometheus?: string;
  query?: string;
  series?: string;
  metric?: string;
  file?: string;
  since?: string;
  step?: string;
  inject?: string[];
  preset?: string;
  k?: string;
  for?: string;
  direction?: string;
  floor?: string;
  transform?: string;
  json?: boolean;
  store?: string;
  name?: string;
  expr?: string;
  out?: string;
  interval?: string;
}

function duration(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const ms = parseLongDuration(v);
  if (ms === undefined) return failUsage(`${flag} ${v}: expected a duration such as 5m or 28d`);
  return ms;
}

function number(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) return failUsage(`${flag} ${v}: expected a non-negative number`);
  return n;
}

export function configOf(flags: AnomalyFlags): AnomalyConfig {
  let cfg: AnomalyConfig = { ...DEFAULT_ANOMALY };
  if (flags.preset !== undefined) {
    if (flags.preset !== "weekly-average" && flags.preset !== "seasonal")
      failUsage(
        `--preset ${flags.preset}: expected seasonal (GitLab's) or weekly-average (1.5× the weekly mean)`,
      );
    if (flags.preset === "weekly-average") cfg = { ...cfg, ...WEEKLY_AVERAGE_PRESET };
  }
  const direction = flags.direction ?? cfg.direction;
  if (!["up", "down", "both"].includes(direction))
    failUsage(`--direction ${direction}: expected up, down or both`);
  const transform = flags.transform ?? cfg.transform;
  if (!["sqrt", "none"].includes(transform))
    failUsage(`--transform ${transform}: expected sqrt (counts, rates) or none`);
  return {
    ...cfg,
    k: number("--k", flags.k, cfg.k),
    forMs: duration("--for", flags.for, cfg.forMs),
    floor: number("--floor", flags.floor, cfg.floor),
    direction: direction as AnomalyConfig["direction"],
    transform: transform as AnomalyConfig["transform"],
  };
}

/** `spike:3x:10m`: every day at a random minute, the value times 3 for 10 minutes (recall is measured on them). */
function parseSpike(text: string): { factor: number; lengthMs: number } {
  const m = /^spike:(\d+(?:\.\d+)?)x:(.+)$/.exec(text);
  const lengthMs = m ? parseDuration(m[2]) : undefined;
  if (!m || lengthMs === undefined || lengthMs <= 0)
    return failUsage(`--inject ${text}: expected spike:FACTORx:DURATION, such as spike:3x:10m`);
  return { factor: Number(m[1]), lengthMs };
}

async function seriesOf(flags: AnomalyFlags, fromMs: number, toMs: number, stepMs: number): Promise<Point[]> {
  const sources = [flags.prometheus, flags.series, flags.file].filter((x) => x !== undefined).length;
  if (sources !== 1)
    failUsage(
      "expected exactly one of --prometheus URL --query Q, --series NAME (stored windows) or --file FILE",
    );
  if (flags.file) {
    const expected = "(expected a CSV of time,value or a JSON list of [time, value])";
    let st: ReturnType<typeof statSync>;
    let text: string;
    try {
      st = statSync(flags.file);
      // A regular file of a bounded size: /dev/zero or a fifo would be read for ever.
      text = st.isFile() && st.size <= MAX_SERIES_BYTES ? readFileSync(flags.file, "utf8") : "";
    } catch (err) {
      return failUsage(
        `--file ${flags.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} ${expected}`,
      );
    }
    if (!st.isFile()) return failUsage(`--file ${flags.file}: not a regular file ${expected}`);
    if (st.size > MAX_SERIES_BYTES)
      return failUsage(
        `--file ${flags.file}: ${st.size} bytes, over ${MAX_SERIES_BYTES} (a year of one-minute steps is about 10 MB; expected a coarser step or a shorter series)`,
      );
    return pointsOfFile(flags.file, text, stepMs);
  }
  if (flags.prometheus) {
    if (!flags.query) failUsage("--query: required with --prometheus (the PromQL of the series)");
    const result = await promQuery(flags.prometheus, "query_range", {
      query: flags.query as string,
      start: String(fromMs / 1000),
      end: String(toMs / 1000),
      step: String(stepMs / 1000),
    });
    if (result.length > 1)
      failUsage(`--query returns ${result.length} series: aggregate it to one (e.g. sum(...))`);
    return (result[0]?.values ?? []).map(([t, v]) => ({
      t: Math.round((Number(t) * 1000) / stepMs) * stepMs,
      v: Number(v),
    }));
  }
  const metric = flags.metric ?? "rate";
  if (!["rate", "errors", "error-ratio"].includes(metric))
    failUsage(`--metric ${metric}: expected rate, errors or error-ratio`);
  const store = openStore(flags.store);
  try {
    const bins = new Map<number, { count: number; errors: number }>();
    for (const w of await store.windowsBetween(flags.series as string, fromMs, toMs)) {
      const t = Math.floor(w.end / stepMs) * stepMs;
      const b = bins.get(t) ?? { count: 0, errors: 0 };
      b.count += w.count;
      b.errors += w.errors;
      bins.set(t, b);
    }
    return [...bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([t, b]) => ({
        t,
        v:
          metric === "rate"
            ? b.count / (stepMs / 1000)
            : metric === "errors"
              ? b.errors / (stepMs / 1000)
              : b.count
                ? b.errors / b.count
                : 0,
      }));
  } finally {
    await store.close();
  }
}

/** `withstand anomaly backtest`: replays history through the detector; alerts per week and recall on injected spikes. */
export async function anomalyBacktestCommand(flags: AnomalyFlags): Promise<ExitCode> {
  const cfg = configOf(flags);
  const stepMs = duration("--step", flags.step, 60_000);
  const toMs = Math.floor(Date.now() / stepMs) * stepMs;
  const fromMs = toMs - duration("--since", flags.since, 35 * 86_400_000);
  const spikes = (flags.inject ?? []).map(parseSpike);
  let points = await seriesOf(flags, fromMs, toMs, stepMs);
  if (points.length === 0) {
    process.stderr.write("withstand: the series has no points in that time\n");
    return EXIT.invalid;
  }
  // One spike a day after the training weeks, at a minute drawn from a fixed seed: repeatable.
  const injected: { start: number; end: number }[] = [];
  const first = points[0]?.t ?? 0;
  const rnd = seeded(42);
  for (const s of spikes) {
    for (let day = first + 3 * WEEK_MS; day + 86_400_000 <= (points.at(-1)?.t ?? 0); day += 86_400_000) {
      const start = day + Math.floor((rnd() * (86_400_000 - s.lengthMs)) / stepMs) * stepMs;
      injected.push({ start, end: start + s.lengthMs });
    }
    points = points.map((p) =>
      injected.some((i) => p.t >= i.start && p.t < i.end) ? { ...p, v: p.v * s.factor } : p,
    );
  }
  const evals = detect(points, stepMs, cfg);
  const judged = evals.filter((e) => e.prediction !== undefined);
  if (judged.length === 0)
    failUsage(
      `the series has ${points.length} point${points.length === 1 ? "" : "s"}, over ${formatDuration(Math.max(0, (points.at(-1)?.t ?? 0) - (points[0]?.t ?? 0)))}: none could be judged (expected a longer series: the detector judges a point by the weeks before it)`,
    );
  const found = anomalies(evals);
  const grace = cfg.forMs + 2 * stepMs + cfg.smoothMs;
  const caught = injected.filter((i) => found.some((a) => a.end >= i.start && a.start <= i.end + grace));
  const falseAlerts = found.filter(
    (a) => !injected.some((i) => a.end >= i.start && a.start <= i.end + grace),
  );
  const weeks = Math.max(1, (judged.length * stepMs) / WEEK_MS);
  const summary = {
    points: points.length,
    judged: judged.length,
    alertingSteps: judged.filter((e) => e.alert).length,
    alertsPerWeek: found.length / weeks,
    falseAlertsPerWeek: falseAlerts.length / weeks,
    injected: injected.length,
    caught: caught.length,
    recall: injected.length ? caught.length / injected.length : null,
    precision: found.length ? (found.length - falseAlerts.length) / found.length : null,
    missed: injected.filter((i) => !caught.includes(i)).map((i) => new Date(i.start).toISOString()),
    anomalies: found.map((a) => ({
      start: new Date(a.start).toISOString(),
      end: new Date(a.end).toISOString(),
      why: explain(a.peak),
    })),
    config: cfg,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const lines = [
      `backtest: ${summary.judged} of ${summary.points} points judged (the first weeks train); ${found.length} anomalies, ${summary.alertsPerWeek.toFixed(2)} a week (${summary.alertingSteps} alerting steps, ${((100 * summary.alertingSteps) / Math.max(1, summary.judged)).toFixed(2)}%)`,
    ];
    if (injected.length)
      lines.push(
        `injected ${injected.length} spikes: ${caught.length} caught (recall ${(100 * (summary.recall ?? 0)).toFixed(1)}%), precision ${summary.precision === null ? "n/a" : `${(100 * summary.precision).toFixed(1)}%`}${summary.missed.length ? `; missed ${summary.missed.join(", ")}` : ""}`,
      );
    for (const a of summary.anomalies.slice(0, 50)) lines.push(`  ${a.start} .. ${a.end}: ${a.why}`);
    if (summary.anomalies.length > 50)
      lines.push(`  ... ${summary.anomalies.length - 50} more (--json lists all)`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return EXIT.ok;
}

/** The largest series file read: a year of one-minute steps is about 10 MB. */
const MAX_SERIES_BYTES = 32 * 1024 * 1024;

/**
 * A CSV of `time,value` (an optional header first) or a JSON list of `[time, value]`; a row that is
 * neither is refused at its line, never dropped (a dropped row would silently shift what is judged).
 */
function pointsOfFile(file: string, text: string, stepMs: number): { t: number; v: number }[] {
  const expected = "(expected a CSV of time,value or a JSON list of [time, value])";
  let rows: { line: number; cells: unknown[] }[];
  if (text.trimStart().startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (err) {
      return failUsage(`--file ${file}: ${(err as Error).message} ${expected}`);
    }
    if (!Array.isArray(list)) return failUsage(`--file ${file}: not a list ${expected}`);
    rows = list.map((cells, i) => ({ line: i + 1, cells: Array.isArray(cells) ? cells : [cells] }));
  } else {
    rows = text
      .split("\n")
      .map((l, i) => ({ line: i + 1, cells: l.trim() ? l.split(",") : [] }))
      .filter((r) => r.cells.length > 0);
    // Only the first row may be a header (a name where a time would be).
    if (
      rows[0] &&
      /^\s*[a-z_]/i.test(String(rows[0].cells[0])) &&
      Number.isNaN(Date.parse(String(rows[0].cells[0])))
    )
      rows.shift();
  }
  return rows.map(({ line, cells }) => {
    const [t, v] = cells;
    if (cells.some((c) => typeof c === "object" && c !== null))
      failUsage(`--file ${file}:${line}: got a nested value ${expected}`);
    const n = Number(t);
    const ms = Number.isFinite(n) ? (n < 1e11 ? n * 1000 : n) : Date.parse(String(t));
    const value = Number(v);
    if (cells.length !== 2 || !Number.isFinite(ms) || !Number.isFinite(value) || String(v).trim() === "")
      failUsage(`--file ${file}:${line}: got ${JSON.stringify(cells.join(","))} ${expected}`);
    return { t: Math.round(ms / stepMs) * stepMs, v: value };
  });
}

/** `withstand anomaly rules --name N --expr PROMQL`: the detector as Prometheus rules. */
export function anomalyRulesCommand(flags: AnomalyFlags): ExitCode {
  if (!flags.name || !/^[A-Za-z_][\w-]*$/.test(flags.name))
    failUsage(`--name ${flags.name ?? ""}: expected a name such as orders-rps`);
  if (!flags.expr)
    failUsage("--expr: required (the PromQL of the series, e.g. sum(rate(http_requests_total[5m])))");
  const unbalanced = unbalancedPromQl(flags.expr as string);
  if (unbalanced) failUsage(`--expr ${flags.expr}: ${unbalanced} (expected a PromQL expression)`);
  const text = anomalyRules({
    name: flags.name as string,
    expr: flags.expr as string,
    config: configOf(flags),
    intervalS: duration("--interval", flags.interval, 60_000) / 1000,
  });
  if (flags.out) writeFileSync(flags.out, text);
  else process.stdout.write(text);
  return EXIT.ok;
}
