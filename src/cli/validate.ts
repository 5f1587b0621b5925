import { isGossfileText, loadGossfiles, readVars } from "../checks/gossfile.js";
import { EXIT } from "../core/exit-codes.js";
import { type Diagnostic, diagnosticCode, formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { checkParsed } from "../documents/kinds.js";
import { parseSource, readSource, type SourceDoc, unreadable } from "../documents/source.js";

interface Checked {
  file: string;
  valid: boolean;
  kind: string;
  summary: string;
  diagnostics: Diagnostic[];
}

/** A file read and parsed once; a Gossfile is kept as text (it is rendered as `check` renders it). */
type Read =
  | { file: string; gossfile: true; text: string }
  | { file: string; gossfile: false; parsed: { docs: SourceDoc[]; diagnostics: Diagnostic[] } }
  | { file: string; unreadable: Diagnostic };

async function readFile(file: string, expected: string, vars: Record<string, unknown>): Promise<Read> {
  let text: string;
  try {
    text = await readSource(file);
  } catch (err) {
    return { file, unreadable: unreadable(file, err, expected) };
  }
  if (isGossfileText(text, file, { vars, env: process.env })) return { file, gossfile: true, text };
  return { file, gossfile: false, parsed: parseSource(file, text) };
}

/**
 * A Gossfile is read as `withstand check` reads it, without running anything: its templates are
 * rendered with the same --vars and environment first, so validate and check agree.
 */
function checkGossfile(file: string, vars: Record<string, unknown>): Checked {
  const loaded = loadGossfiles([file], { vars, env: process.env });
  const valid = !hasErrors(loaded.diagnostics);
  const types = new Set(loaded.entries.map((e) => e.kind.type));
  return {
    file,
    valid,
    kind: "Gossfile",
    summary: valid ? `valid Gossfile (${loaded.entries.length} entries: ${[...types].join(", ")})` : "",
    diagnostics: loaded.diagnostics,
  };
}

const docsOf = (r: Read): SourceDoc[] => ("parsed" in r ? r.parsed.docs : []);

/**
 * Checks every file with the reader of its kind; the files are read together, so a Rollout finds the
 * AnalysisTemplates and an SLO the SLI or DataSource of another file given (or of a --template file).
 */
async function checkFiles(
  files: readonly string[],
  templateFiles: readonly string[],
  vars: Record<string, unknown>,
): Promise<Checked[]> {
  const read = await Promise.all(files.map((f) => readFile(f, "an experiment file in YAML or JSON", vars)));
  const templates = await Promise.all(
    templateFiles.map((f) => readFile(f, "an AnalysisTemplate file", vars)),
  );
  const out: Checked[] = [];
  for (const t of templates) {
    const problems = "unreadable" in t ? [t.unreadable] : "parsed" in t ? t.parsed.diagnostics : [];
    if (hasErrors(problems))
      out.push({ file: t.file, valid: false, kind: "AnalysisTemplate", summary: "", diagnostics: problems });
  }
  const context = templates.flatMap(docsOf);
  read.forEach((r, i) => {
    if ("unreadable" in r) {
      out.push({ file: r.file, valid: false, kind: "unknown", summary: "", diagnostics: [r.unreadable] });
      return;
    }
    if (r.gossfile) {
      out.push(checkGossfile(r.file, vars));
      return;
    }
    const others = [...read.filter((_, j) => j !== i).flatMap(docsOf), ...context];
    out.push({ file: r.file, ...checkParsed(r.file, r.parsed, { others }) });
  });
  return out;
}

/** A problem reached from two files (a template used by a Rollout given beside it) is printed once. */
function dedupe(report: Checked[]): void {
  const seen = new Set<string>();
  for (const c of report)
    c.diagnostics = c.diagnostics.filter((d) => {
      const key = `${d.file}:${d.line}:${d.col}:${d.severity}:${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** `withstand validate FILE...`: every diagnostic of every file; exit 2 when any file has an error. */
export async function validateCommand(
  files: string[],
  flags: { json?: boolean; template?: string[]; vars?: string; varsInline?: string },
): Promise<number> {
  let vars: Record<string, unknown>;
  try {
    vars = readVars(flags.vars ?? process.env.GOSS_VARS, flags.varsInline ?? process.env.GOSS_VARS_INLINE);
  } catch (err) {
    process.stderr.write(`withstand: --vars: ${(err as Error).message}\n`);
    return EXIT.invalid;
  }
  const report = await checkFiles(files, flags.template ?? [], vars);
  dedupe(report);
  if (!flags.json)
    for (const c of report) {
      for (const d of c.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      if (c.valid) process.stdout.write(`${c.file}: ${c.summary}\n`);
    }
  const failed = report.some((c) => !c.valid);
  if (flags.json)
    process.stdout.write(
      `${JSON.stringify({
        ok: !failed,
        files: report.map(({ summary: _s, diagnostics, ...rest }) => ({
          ...rest,
          diagnostics: diagnostics.map((d) => ({ ...d, code: diagnosticCode(d) })),
        })),
      })}\n`,
    );
  return failed ? EXIT.invalid : EXIT.ok;
}
