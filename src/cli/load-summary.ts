import type { LoadPlan, ThresholdSpec } from "../core/load-plan.js";
import { type SummaryJson, summaryExport } from "../load/report.js";
import type { LoadFlags } from "./load-flags.js";
import { writeOutput } from "./write-output.js";

/** Writes `--summary-json` (k6's export shape) and `--summary-data` (handleSummary's), when asked. */
export function writeSummaryFiles(flags: LoadFlags, summary: SummaryJson): void {
  if (flags.summaryJson)
    writeOutput("--summary-json", flags.summaryJson, `${JSON.stringify(summaryExport(summary), null, 2)}\n`);
  if (flags.summaryData)
    writeOutput("--summary-data", flags.summaryData, `${JSON.stringify(summary, null, 2)}\n`);
}

/** The plan a merged result is reported under (`load merge`, `load report --group`): no requests of its own. */
export function mergedPlan(
  name: string,
  durationMs: number,
  thresholds: ThresholdSpec[],
  workers: number,
): LoadPlan {
  return {
    name,
    executor: { type: "constant-arrival-rate", rate: 1, durationMs },
    requests: [],
    connections: 1,
    timeoutMs: 0,
    maxRequests: 0,
    thresholds,
    workers,
  };
}
