import { EXIT } from "../core/exit-codes.js";
import { type Diagnostic, formatDiagnostic } from "../documents/diagnostic.js";
import { checkDocument } from "../documents/kinds.js";
import { readSource, unreadable } from "../documents/source.js";

interface Checked {
  file: string;
  valid: boolean;
  kind: string;
  summary: string;
  diagnostics: Diagnostic[];
}

/** Validates any document withstand reads, choosing the reader by the document's content. */
async function checkFile(file: string): Promise<Checked> {
  let text: string;
  try {
    text = await readSource(file);
  } catch (err) {
    return {
      file,
      valid: false,
      kind: "unknown",
      summary: "",
      diagnostics: [unreadable(file, err, "an experiment file in YAML or JSON")],
    };
  }
  return { file, ...checkDocument(file, text) };
}

/** `withstand validate FILE...`: every diagnostic of every file; exit 2 when any file has an error. */
export async function validateCommand(files: string[], flags: { json?: boolean }): Promise<number> {
  const report: Checked[] = [];
  for (const file of files) {
    const c = await checkFile(file);
    report.push(c);
    if (flags.json) continue;
    for (const d of c.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (c.valid) process.stdout.write(`${file}: ${c.summary}\n`);
  }
  const failed = report.some((c) => !c.valid);
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({ ok: !failed, files: report.map(({ summary: _s, ...rest }) => rest) })}\n`,
    );
  return failed ? EXIT.invalid : EXIT.ok;
}
