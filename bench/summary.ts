/**
 * bench/summary: the one table `make bench` ends with. Each bench appends its headline figures to the
 * file BENCH_SUMMARY names (JSON lines) with `recordSummary`; this script prints them side by side.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export interface SummaryRow {
  bench: string;
  measure: string;
  withstand: string;
  peer: string;
  ratio: string;
  goal: string;
}

/** Adds one row to the run's summary (a no-op when BENCH_SUMMARY is not set: a bench run alone). */
export function recordSummary(row: SummaryRow): void {
  const file = process.env.BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

function printTable(rows: SummaryRow[]): void {
  const head: SummaryRow = {
    bench: "bench",
    measure: "measure",
    withstand: "withstand",
    peer: "peer",
    ratio: "ratio",
    goal: "goal",
  };
  const all = [head, ...rows];
  const keys = Object.keys(head) as (keyof SummaryRow)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<
    keyof SummaryRow,
    number
  >;
  const line = (r: SummaryRow) => `| ${keys.map((k) => r[k].padEnd(width[k])).join(" | ")} |`;
  console.log(`\n${line(head)}\n|${keys.map((k) => "-".repeat(width[k] + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.env.BENCH_SUMMARY;
  if (!file || !existsSync(file)) {
    console.log("bench/summary: nothing recorded (run through make bench, which sets BENCH_SUMMARY)");
  } else {
    const rows = readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SummaryRow);
    printTable(rows);
  }
}
