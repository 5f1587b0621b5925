import { readFileSync } from "node:fs";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import type { ThresholdSpec } from "../core/load-plan.js";
import type { MetricName } from "../core/threshold.js";
import { mergeWindows } from "../core/window.js";
import { evaluateAll } from "../load/coordinator.js";
import { readHdrLog } from "../load/hdr-log.js";
import { summaryJson, summaryText } from "../load/report.js";
import { failUsage } from "./fail.js";
import { type LoadFlags, parseThresholdFlag } from "./load-flags.js";
import { mergedPlan, writeSummaryFiles } from "./load-summary.js";

/**
 * `withstand load merge FILES...`: adds the HDR logs of several generators (or segments) exactly and
 * evaluates the thresholds over the whole run — what k6 OSS cannot do across instances.
 */
export function mergeCommand(files: string[], flags: LoadFlags): ExitCode {
  if (files.length === 0) failUsage("load merge: expected one or more HDR log files written with --hdr-log");
  const windows = [];
  let thresholds: ThresholdSpec[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      failUsage(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      const log = readHdrLog(text);
      windows.push(...log.windows);
      if (thresholds.length === 0)
        thresholds = log.thresholds.map((t) => ({
          metric: t.metric as MetricName,
          expression: t.expression,
          abortOnFail: false,
          delayAbortEvalMs: 0,
        }));
    } catch (err) {
      failUsage(`${file}: ${(err as Error).message}`);
    }
  }
  if (flags.threshold?.length) thresholds = flags.threshold.map((t) => parseThresholdFlag(t));
  // HDR logs hold one histogram per interval, not one per tag: a sub-metric cannot be judged again.
  for (const t of thresholds.filter((x) => x.metric.includes("{") || x.tags))
    process.stderr.write(
      `warning: ${t.submetric ?? t.metric} ${t.expression}: not re-evaluated (HDR logs hold no per-tag histograms)\n`,
    );
  thresholds = thresholds.filter((x) => !x.metric.includes("{") && !x.tags);
  const total = mergeWindows(windows);
  const plan = mergedPlan("merged", total.end - total.start, thresholds, files.length);
  const results = evaluateAll(plan, total);
  const summary = summaryJson(plan, total, results, total.count + total.dropped);
  writeSummaryFiles(flags, summary);
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `withstand load merge: ${files.length} logs, ${windows.length} windows\n\n${summaryText(total, results)}`,
    );
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}
