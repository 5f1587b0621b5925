import { writeFileSync } from "node:fs";
import { EXIT } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { generateRules, type PlannedRules, rulesYaml } from "../slo/rules.js";
import { openStore } from "../store/open.js";
import { plannedStepMs, plannedWindows } from "./planned-runs.js";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `withstand slo rules FILE [-o OUT] [--exclude-runs SEL]`: Prometheus recording and multiwindow
 * burn-rate alerting rules; with `--exclude-runs`, the budget leaves out those runs' fault windows.
 */
export async function sloRulesCommand(
  files: string[],
  flags: { output?: string; excludeRuns?: string; plannedStep?: string; store?: string },
): Promise<number> {
  const stepMs = plannedStepMs(flags.plannedStep);
  const loaded = await loadOpenSloFiles(files);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(loaded.diagnostics)) return EXIT.invalid;
  let planned: PlannedRules | undefined;
  const notes: string[] = [];
  if (flags.excludeRuns !== undefined) {
    const now = Date.now();
    const longest = Math.max(0, ...loaded.slos.map((s) => s.periodMs));
    const store = openStore(flags.store);
    try {
      const found = await plannedWindows(store, flags.excludeRuns, now - longest, now);
      planned = { windows: found.windows, stepMs };
      notes.push(
        `Planned chaos left out of the error budget (--exclude-runs ${flags.excludeRuns}): ${found.windows.length} fault windows of ${found.runs.length} runs, in steps of ${stepMs / 1000}s`,
        ...found.windows.map((w) => `  ${iso(w.start)} .. ${iso(w.end)}  ${w.runs.join(", ")}`),
      );
      process.stderr.write(`${notes[0]}\n`);
    } finally {
      await store.close();
    }
  }
  const groups = [];
  // A RulesError (WS_SLO_RULES) reaches the entry point, which prints it with its code and exits 2.
  for (const slo of loaded.slos) {
    const { groups: g, warnings } = generateRules(slo, { planned });
    for (const w of warnings) process.stderr.write(`${slo.loc}: warning: ${slo.name}: ${w}\n`);
    groups.push(...g);
  }
  const text = rulesYaml(groups, notes);
  if (flags.output) {
    writeFileSync(flags.output, text);
    process.stdout.write(
      `wrote ${groups.length} rule groups for ${loaded.slos.length} SLOs to ${flags.output}\n`,
    );
  } else process.stdout.write(text);
  return EXIT.ok;
}
