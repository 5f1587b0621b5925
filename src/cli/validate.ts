import { EXIT } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../spec/diagnostic.js";
import { loadExperimentFile } from "../spec/load.js";

/** `withstand validate FILE...`: every diagnostic of every file; exit 2 when any file has an error. */
export async function validateCommand(files: string[], flags: { json?: boolean }): Promise<number> {
  let failed = false;
  const report: { file: string; valid: boolean; diagnostics: unknown[] }[] = [];
  for (const file of files) {
    const loaded = await loadExperimentFile(file);
    const bad = !loaded.spec || hasErrors(loaded.diagnostics);
    failed ||= bad;
    report.push({ file, valid: !bad, diagnostics: loaded.diagnostics });
    if (flags.json) continue;
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!bad && loaded.spec) {
      const s = loaded.spec;
      const kind = s.flavour === "native" ? "withstand Experiment" : "Chaos Toolkit experiment";
      process.stdout.write(
        `${file}: valid ${kind} "${s.title}" (${s.hypothesis?.probes.length ?? 0} hypothesis probes, ${s.method.length} method activities, ${s.rollbacks.length} rollbacks)\n`,
      );
    }
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ ok: !failed, files: report })}\n`);
  return failed ? EXIT.invalid : EXIT.ok;
}
