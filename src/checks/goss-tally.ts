import { runOutcome } from "./outputs.js";
import type { TestResult } from "./run.js";

const OUTCOMES = ["pass", "fail", "skip", "unknown"] as const;

/**
 * The counters `goss serve` exposes on /metrics (goss_tests_outcomes_total by type and outcome,
 * goss_tests_run_outcomes_total by a run's overall outcome, and their durations in milliseconds),
 * summed over every Goss run the monitor makes, so scrapers of goss serve keep working.
 */
export class GossTally {
  private readonly tests = new Map<string, { n: number; ms: number }>();
  private readonly runs = new Map<string, { n: number; ms: number }>();

  record(results: readonly TestResult[], durationMs: number): void {
    for (const r of results) {
      const key = `type="${r.resourceType.toLowerCase()}",outcome="${OUTCOMES[r.result]}"`;
      const slot = this.tests.get(key) ?? { n: 0, ms: 0 };
      slot.n++;
      slot.ms += Math.floor(r.durationNs / 1e6);
      this.tests.set(key, slot);
    }
    const key = `outcome="${runOutcome(results)}"`;
    const run = this.runs.get(key) ?? { n: 0, ms: 0 };
    run.n++;
    run.ms += Math.floor(durationMs);
    this.runs.set(key, run);
  }

  /** The counters in Prometheus's text format; empty before the first run. */
  text(): string {
    if (this.runs.size === 0) return "";
    const family = (name: string, help: string, map: Map<string, { n: number; ms: number }>, ms: boolean) => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} counter`,
      ...[...map.keys()].sort().map((k) => `${name}{${k}} ${ms ? map.get(k)?.ms : map.get(k)?.n}`),
    ];
    return [
      ...family(
        "goss_tests_outcomes_duration_milliseconds",
        "The duration of tests from this run. Note; tests run concurrently.",
        this.tests,
        true,
      ),
      ...family("goss_tests_outcomes_total", "The number of test-outcomes from this run.", this.tests, false),
      ...family(
        "goss_tests_run_duration_milliseconds",
        "The end-to-end duration of this run.",
        this.runs,
        true,
      ),
      ...family("goss_tests_run_outcomes_total", "The outcomes of this run as a whole.", this.runs, false),
      "",
    ].join("\n");
  }
}
