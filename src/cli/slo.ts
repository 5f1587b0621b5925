import { writeFileSync } from "node:fs";
import { EXIT } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadOpenSloFiles } from "../documents/openslo.js";
import { generateRules, rulesYaml } from "../slo/rules.js";

/** `withstand slo rules FILE [-o OUT]`: Prometheus recording and multiwindow burn-rate alerting rules. */
export async function sloRulesCommand(files: string[], flags: { output?: string }): Promise<number> {
  const loaded = await loadOpenSloFiles(files);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (hasErrors(loaded.diagnostics)) return EXIT.invalid;
  const groups = [];
  // A RulesError (WS_SLO_RULES) reaches the entry point, which prints it with its code and exits 2.
  for (const slo of loaded.slos) {
    const { groups: g, warnings } = generateRules(slo);
    for (const w of warnings) process.stderr.write(`${slo.loc}: warning: ${slo.name}: ${w}\n`);
    groups.push(...g);
  }
  const text = rulesYaml(groups);
  if (flags.output) {
    writeFileSync(flags.output, text);
    process.stdout.write(
      `wrote ${groups.length} rule groups for ${loaded.slos.length} SLOs to ${flags.output}\n`,
    );
  } else process.stdout.write(text);
  return EXIT.ok;
}
