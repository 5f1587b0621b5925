import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { EXIT } from "../core/exit-codes.js";
import type { PlannedWindow } from "../core/planned.js";
import type { BudgetStatus } from "../core/slo.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { sourceFor, storeReader } from "../metrics/index.js";
import { budgetExcluding, type ObjectiveStatus, objectiveStatus } from "../slo/evaluate.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";
import { plannedWindows } from "./planned-runs.js";

/** An objective's status, and (with `--exclude-runs`) its budget with the planned chaos left out. */
type Status = ObjectiveStatus & { budgetExcludingPlanned?: BudgetStatus };

function pct(x: number, digits = 3): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function render(s: Status, colour: boolean): string {
  const c = colour ? pc : pc.createColors(false);
  const b = s.budget;
  const unit = b.unit === "events" ? "events" : "min";
  const burns = Object.entries(s.burnRates)
    .map(([w, r]) => `${w} ${Number.isFinite(r) ? r.toFixed(2) : "∞"}`)
    .join("  ");
  const alerts = s.alerts
    .map(
      (a) =>
        `${a.severity} ${a.factor.toFixed(1)}x ${a.long}/${a.short}: ${!a.canFire ? c.yellow("can never fire") : a.firing ? c.red("FIRING") : c.green("ok")}`,
    )
    .join(" | ");
  const exhaustion = Number.isFinite(s.timeToExhaustionMs)
    ? formatDuration(s.timeToExhaustionMs)
    : "never at the current (1h) burn rate";
  const remaining =
    b.budgetRemainingFraction < 0
      ? c.red(pct(b.budgetRemainingFraction, 1))
      : pct(b.budgetRemainingFraction, 1);
  return [
    `${c.bold(s.slo)} (${s.service}), objective ${s.objective}`,
    `  SLI            ${pct(b.sli)} over ${s.events} events   target ${pct(b.target)}`,
    `  error budget   ${pct(b.budgetTotal)} = ${b.budgetTotalUnits.toFixed(1)} ${unit}; remaining ${remaining} (${b.budgetRemainingUnits.toFixed(1)} ${unit})`,
    ...(s.budgetExcludingPlanned
      ? [
          `  without chaos  SLI ${pct(s.budgetExcludingPlanned.sli)}; remaining ${pct(s.budgetExcludingPlanned.budgetRemainingFraction, 1)} (${s.budgetExcludingPlanned.budgetRemainingUnits.toFixed(1)} ${unit}) with the planned chaos left out`,
        ]
      : []),
    `  burn rate      ${burns}`,
    `  exhausted in   ${exhaustion}`,
    `  alerts         ${alerts}`,
  ].join("\n");
}

/** `withstand slo status FILE [--at TIME] [--json]`: SLI, budget, burn rates, exhaustion and alert states. */
export async function sloStatusCommand(
  files: string[],
  flags: { at?: string; json?: boolean; store?: string; excludeRuns?: string },
  mode: "status" | "alerts" = "status",
): Promise<number> {
  const at = flags.at === undefined ? Date.now() : Date.parse(flags.at);
  if (Number.isNaN(at)) failUsage(`--at ${flags.at}: expected a time such as 2026-11-22T10:00:00Z`);
  const loaded = await loadOpenSloFiles(files);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(loaded.diagnostics)) return EXIT.invalid;
  const store = openStore(flags.store);
  const reader = storeReader((series, from, to) => store.windowsBetween(series, from, to));
  const out: Status[] = [];
  let planned: { windows: PlannedWindow[]; runs: string[] } | undefined;
  try {
    if (flags.excludeRuns !== undefined) {
      const longest = Math.max(0, ...loaded.slos.map((s) => s.periodMs));
      planned = await plannedWindows(store, flags.excludeRuns, at - longest, at);
    }
    for (const slo of loaded.slos) {
      const source = sourceFor(slo, reader);
      for (const objective of slo.objectives) {
        const s: Status = await objectiveStatus(slo, objective, source, at);
        if (planned)
          s.budgetExcludingPlanned = await budgetExcluding(slo, objective, source, at, planned.windows);
        out.push(s);
      }
    }
  } finally {
    await store.close();
  }
  const firing = out.some((s) => s.alerts.some((a) => a.firing));
  const plannedJson = planned && {
    runs: planned.runs,
    windows: planned.windows.map((w) => ({
      start: new Date(w.start).toISOString(),
      end: new Date(w.end).toISOString(),
      runs: w.runs,
    })),
  };
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ at: new Date(at).toISOString(), slos: out, ...(plannedJson ? { planned: plannedJson } : {}) })}\n`,
    );
  else if (mode === "alerts") {
    for (const s of out)
      for (const a of s.alerts)
        process.stdout.write(
          `${s.slo} ${a.severity} ${a.long}/${a.short} ${a.factor.toFixed(1)}x: ${!a.canFire ? "can never fire" : a.firing ? "FIRING" : "ok"} (burn ${a.longBurn.toFixed(2)} / ${a.shortBurn.toFixed(2)})\n`,
        );
  } else {
    if (planned)
      process.stdout.write(
        `planned chaos: ${planned.windows.length} fault windows of ${planned.runs.length} runs (--exclude-runs ${flags.excludeRuns})\n\n`,
      );
    process.stdout.write(
      `${out.map((s) => render(s, process.stdout.isTTY && !process.env.CI)).join("\n\n")}\n`,
    );
  }
  return mode === "alerts" && firing ? EXIT.failed : EXIT.ok;
}
