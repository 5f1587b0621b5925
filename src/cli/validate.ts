import { EXIT } from "../core/exit-codes.js";
import { detectKind } from "../spec/detect.js";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../spec/diagnostic.js";
import { loadExperimentText } from "../spec/load.js";
import { readLoadTest } from "../spec/load-document.js";
import { readOpenSlo } from "../spec/openslo.js";
import { readRollout } from "../spec/rollout.js";
import { parseSource, readSource, unreadable } from "../spec/source.js";

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
  const parsed = parseSource(file, text);
  const first = parsed.docs[0];
  const kind = first ? detectKind(first.value) : undefined;
  if (first && kind?.kind === "native" && kind.nativeKind === "LoadTest") {
    const r = readLoadTest(first);
    const diagnostics = [...parsed.diagnostics, ...r.diagnostics];
    const p = r.plan;
    const summary = p
      ? `valid withstand LoadTest "${p.name}" (${p.executor.type}, ${p.requests.length} request templates, ${p.thresholds.length} thresholds)`
      : "";
    return { file, valid: !!p && !hasErrors(diagnostics), kind: "LoadTest", summary, diagnostics };
  }
  if (first && kind?.kind === "native" && kind.nativeKind === "Rollout") {
    const r = readRollout(first);
    const diagnostics = [...parsed.diagnostics, ...r.diagnostics];
    const s = r.spec;
    const summary = s
      ? `valid withstand Rollout "${s.name}" (${s.steps.length} steps, ${s.steps.filter((x) => x.kind === "analysis").length} analyses${s.background ? ", background analysis" : ""})`
      : "";
    return { file, valid: !!s && !hasErrors(diagnostics), kind: "Rollout", summary, diagnostics };
  }
  if (first && (first.value as { apiVersion?: unknown } | null)?.apiVersion === "openslo/v1") {
    const r = readOpenSlo(parsed.docs);
    const diagnostics = [...parsed.diagnostics, ...r.diagnostics];
    const valid = r.slos.length > 0 && !hasErrors(diagnostics);
    return {
      file,
      valid,
      kind: "OpenSLO",
      summary: `valid OpenSLO v1 (${r.slos.length} SLOs: ${r.slos.map((s) => s.name).join(", ")})`,
      diagnostics,
    };
  }
  const r = loadExperimentText(file, text);
  const s = r.spec;
  const summary = s
    ? `valid ${s.flavour === "native" ? "withstand Experiment" : "Chaos Toolkit experiment"} "${s.title}" (${s.hypothesis?.probes.length ?? 0} hypothesis probes, ${s.method.length} method activities, ${s.rollbacks.length} rollbacks)`
    : "";
  return {
    file,
    valid: !!s && !hasErrors(r.diagnostics),
    kind: s ? "Experiment" : "unknown",
    summary,
    diagnostics: r.diagnostics,
  };
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
