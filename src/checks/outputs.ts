import pc from "picocolors";
import { FAIL, SKIP, SUCCESS, type TestResult } from "./run.js";

/**
 * Goss's output formats (outputs/*.go), as CI and monitoring read them: rspecish (the default),
 * documentation, json, junit, tap, nagios, prometheus and silent. Each returns its text and the exit
 * code Goss gives (nagios: 2 on failure; others: 1).
 */
export const FORMATS = [
  "rspecish",
  "documentation",
  "json",
  "junit",
  "tap",
  "nagios",
  "prometheus",
  "silent",
] as const;
export type Format = (typeof FORMATS)[number];
export const FORMAT_OPTIONS = ["pretty", "sort", "perfdata", "verbose", "exclude_raw"] as const;

export interface OutputOptions {
  color: boolean;
  options: readonly string[];
  durationMs: number;
  now?: Date;
}

function colors(on: boolean) {
  return on ? pc : pc.createColors(false);
}

function shown(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/** Goss's indentLines: four spaces before each line of an error. */
function indentLines(text: string): string {
  return text
    .replace(/\n+$/, "")
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

/**
 * One result as Goss words it (outputs.go humanizeResult): "Port: tcp:22: listening: matches
 * expectation: true"; a failure's lines joined by newlines, or in `compact` form by spaces.
 */
export function summaryLine(r: TestResult, compact = false): string {
  const sep = compact ? " " : "\n";
  const head = `${r.resourceType}: ${r.resourceId}: ${r.property}`;
  if (r.result === SKIP) return `${head}: skipped`;
  if (r.err !== null)
    return `${head}:${sep}Error${sep}${compact ? r.err.replace(/\s+/g, " ").trim() : indentLines(r.err)}`;
  if (r.result === SUCCESS) return `${head}: matches expectation: ${shown(r.expected)}`;
  const chain = r.transforms.length
    ? `\nthe transform chain was\n    ${JSON.stringify(r.transforms.map((t) => ({ [t]: {} })))}`
    : "";
  const text = `${r.message}${chain}`;
  return `${head}:${sep}${compact ? text.replace(/\n\s*/g, " ") : text}`;
}

function paint(r: TestResult, text: string, color: boolean): string {
  const c = colors(color);
  return r.result === SUCCESS ? c.green(text) : r.result === SKIP ? c.yellow(text) : c.red(text);
}

function header(r: TestResult): string {
  let out = r.title ? `Title: ${r.title}\n` : "";
  if (r.meta && typeof r.meta === "object" && Object.keys(r.meta).length > 0) {
    out += "Meta:\n";
    for (const k of Object.keys(r.meta).sort())
      out += `    ${k}: ${String((r.meta as Record<string, unknown>)[k])}\n`;
  }
  return out;
}

const counts = (results: readonly TestResult[]) => ({
  count: results.length,
  failed: results.filter((r) => r.result === FAIL).length,
  skipped: results.filter((r) => r.result === SKIP).length,
});

function summary(results: readonly TestResult[], o: OutputOptions): string {
  const { count, failed, skipped } = counts(results);
  const c = colors(o.color);
  const line = `Count: ${count}, Failed: ${failed}, Skipped: ${skipped}`;
  return `Total Duration: ${(o.durationMs / 1000).toFixed(3)}s\n${failed > 0 ? c.red(line) : c.green(line)}\n`;
}

function failedOrSkipped(results: readonly TestResult[], o: OutputOptions): string {
  const bad = results.filter((r) => r.result !== SUCCESS);
  if (bad.length === 0) return "";
  let out = "Failures/Skipped:\n\n";
  let last: string | undefined;
  for (const r of bad) {
    const group = `${r.resourceType}\u0000${r.resourceId}`;
    if (group !== last) {
      if (last !== undefined) out += "\n";
      out += header(r);
      last = group;
    }
    out += `${paint(r, summaryLine(r), o.color)}\n`;
  }
  return `${out}\n`;
}

function rspecish(results: readonly TestResult[], o: OutputOptions): string {
  const c = colors(o.color);
  const dots = results.map((r) =>
    r.result === SUCCESS ? c.green(".") : r.result === SKIP ? c.yellow("S") : c.red("F"),
  );
  return `${dots.join("")}\n\n${failedOrSkipped(results, o)}${summary(results, o)}`;
}

function documentation(results: readonly TestResult[], o: OutputOptions): string {
  let out = "";
  let last: string | undefined;
  for (const r of results) {
    const group = `${r.resourceType}\u0000${r.resourceId}`;
    if (group !== last && (r.title || r.meta)) out += header(r);
    last = group;
    out += `${paint(r, summaryLine(r), o.color)}\n`;
  }
  return `${out}\n\n${failedOrSkipped(results, o)}${summary(results, o)}`;
}

/** Goss's JSON: results as TestResult (kebab-case keys, durations in nanoseconds) and a summary. */
export function jsonReport(results: readonly TestResult[], o: OutputOptions) {
  const { count, failed, skipped } = counts(results);
  const raw = !o.options.includes("exclude_raw");
  return {
    results: results.map((r) => ({
      successful: r.successful,
      skipped: r.skipped,
      "resource-id": r.resourceId,
      "resource-type": r.resourceType,
      property: r.property,
      title: r.title,
      meta: r.meta,
      result: r.result,
      err: r.err,
      "matcher-result": {
        actual: raw ? r.actual : undefined,
        expected: r.expected,
        message: r.message,
        ...(r.missing ? { "missing-elements": r.missing } : {}),
        ...(r.transforms.length ? { "transformer-chain": r.transforms } : {}),
      },
      "start-time": r.startTime,
      "end-time": r.endTime,
      duration: r.durationNs,
      "summary-line": summaryLine(r),
      "summary-line-compact": summaryLine(r, true),
    })),
    summary: {
      "test-count": count,
      "failed-count": failed,
      "skipped-count": skipped,
      "total-duration": Math.round(o.durationMs * 1e6),
      "summary-line": `Count: ${count}, Failed: ${failed}, Skipped: ${skipped}, Duration: ${(o.durationMs / 1000).toFixed(3)}s`,
    },
  };
}

/** Text safe inside XML and HTML, attributes included. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function junit(results: readonly TestResult[], o: OutputOptions): string {
  const { count, failed, skipped } = counts(results);
  const stamp = (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const cases = results.map((r) => {
    const name = escapeXml(`${r.resourceType} ${r.resourceId} ${r.property}`);
    const line = escapeXml(summaryLine(r));
    const time = (r.durationNs / 1e9).toFixed(3);
    if (r.result === FAIL)
      return `<testcase name="${name}" time="${time}">\n<system-err>${line}</system-err>\n<failure>${line}</failure>\n</testcase>\n`;
    return `<testcase name="${name}" time="${time}">\n${r.result === SKIP ? "<skipped/>" : ""}<system-out>${line}</system-out>\n</testcase>\n`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="goss" errors="0" tests="${count}" failures="${failed}" skipped="${skipped}" time="${(o.durationMs / 1000).toFixed(3)}" timestamp="${stamp}">\n${cases.join("")}</testsuite>\n`;
}

function tap(results: readonly TestResult[]): string {
  const lines = results.map((r, i) => {
    const text = summaryLine(r).replace(/\s*\n\s*/g, " ");
    if (r.result === SKIP) return `ok ${i + 1} - # SKIP ${text}`;
    return `${r.result === SUCCESS ? "ok" : "not ok"} ${i + 1} - ${text}`;
  });
  return `1..${results.length}\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
}

function nagios(results: readonly TestResult[], o: OutputOptions): string {
  const { count, failed, skipped } = counts(results);
  const state = failed > 0 ? "GOSS CRITICAL" : "GOSS OK";
  const perf = o.options.includes("perfdata")
    ? `|total=${count} failed=${failed} skipped=${skipped} duration=${(o.durationMs / 1000).toFixed(3)}s`
    : "";
  const verbose = o.options.includes("verbose")
    ? results
        .filter((r) => r.result === FAIL)
        .map((r) => `\n- ${summaryLine(r).replace(/\s*\n\s*/g, " ")}`)
        .join("")
    : "";
  return `${state} - Count: ${count}, Failed: ${failed}, Skipped: ${skipped}, Duration: ${(o.durationMs / 1000).toFixed(3)}s${perf}${verbose}\n`;
}

const OUTCOMES = ["pass", "fail", "skip", "unknown"] as const;

/** Goss's overall outcome of a run (outputs/prometheus.go): fail over pass over skip; unknown when empty. */
export function runOutcome(results: readonly TestResult[]): string {
  let overall = "unknown";
  let first = true;
  for (const r of results) {
    const o = OUTCOMES[r.result];
    const change =
      overall === "skip" || (overall === "pass" && o !== "skip") || (overall === "unknown" && o === "fail");
    if (first || (overall !== "fail" && change)) {
      overall = o;
      first = false;
    }
  }
  return overall;
}

/** Goss's prometheus format: its counters for one run, with Goss's names, labels and units. */
function prometheus(results: readonly TestResult[], o: OutputOptions): string {
  const outcomes = new Map<string, { n: number; ms: number }>();
  const verbose = o.options.includes("verbose");
  for (const r of results) {
    const key = `type="${r.resourceType.toLowerCase()}",outcome="${OUTCOMES[r.result]}"${verbose ? `,resource_id="${r.resourceId.replace(/["\\\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"` : ""}`;
    const slot = outcomes.get(key) ?? { n: 0, ms: 0 };
    slot.n++;
    slot.ms += Math.floor(r.durationNs / 1e6);
    outcomes.set(key, slot);
  }
  const keys = [...outcomes.keys()].sort();
  const overall = runOutcome(results);
  return [
    "# HELP goss_tests_outcomes_duration_milliseconds The duration of tests from this run. Note; tests run concurrently.",
    "# TYPE goss_tests_outcomes_duration_milliseconds counter",
    ...keys.map((k) => `goss_tests_outcomes_duration_milliseconds{${k}} ${outcomes.get(k)?.ms ?? 0}`),
    "# HELP goss_tests_outcomes_total The number of test-outcomes from this run.",
    "# TYPE goss_tests_outcomes_total counter",
    ...keys.map((k) => `goss_tests_outcomes_total{${k}} ${outcomes.get(k)?.n ?? 0}`),
    "# HELP goss_tests_run_duration_milliseconds The end-to-end duration of this run.",
    "# TYPE goss_tests_run_duration_milliseconds counter",
    `goss_tests_run_duration_milliseconds{outcome="${overall}"} ${Math.floor(o.durationMs)}`,
    "# HELP goss_tests_run_outcomes_total The outcomes of this run as a whole.",
    "# TYPE goss_tests_run_outcomes_total counter",
    `goss_tests_run_outcomes_total{outcome="${overall}"} 1`,
    "",
  ].join("\n");
}

/** Renders results in a Goss format; `exitCode` is what Goss exits with for it. */
export function render(
  format: Format,
  input: readonly TestResult[],
  o: OutputOptions,
): { text: string; exitCode: number } {
  const results = o.options.includes("sort")
    ? [...input].sort((a, b) =>
        `${a.resourceType}:${a.resourceId}`.localeCompare(`${b.resourceType}:${b.resourceId}`),
      )
    : input;
  const failed = results.some((r) => r.result === FAIL);
  switch (format) {
    case "rspecish":
      return { text: rspecish(results, o), exitCode: failed ? 1 : 0 };
    case "documentation":
      return { text: documentation(results, o), exitCode: failed ? 1 : 0 };
    case "json": {
      const report = jsonReport(results, o);
      const text = o.options.includes("pretty") ? JSON.stringify(report, null, 4) : JSON.stringify(report);
      return { text: `${text}\n`, exitCode: failed ? 1 : 0 };
    }
    case "junit":
      return { text: junit(results, o), exitCode: failed ? 1 : 0 };
    case "tap":
      return { text: tap(results), exitCode: failed ? 1 : 0 };
    case "nagios":
      return { text: nagios(results, o), exitCode: failed ? 2 : 0 };
    case "prometheus":
      return { text: prometheus(results, o), exitCode: failed ? 1 : 0 };
    case "silent":
      return { text: "", exitCode: failed ? 1 : 0 };
  }
}
