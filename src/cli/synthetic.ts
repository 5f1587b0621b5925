import { createColors } from "picocolors";
import { examplesMarkdown } from "../checks/synthetic-record.js";
import type { SyntheticResult } from "../checks/synthetic-run.js";
import { EXIT, type ExitCode } from "../core/exit-codes.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { loadSyntheticFile, type SyntheticSpec } from "../documents/synthetic.js";
import { runLifecycle } from "../engine/lifecycle.js";
import { syntheticKind } from "../runs/synthetic.js";
import { openStore } from "../store/open.js";
import { failUsage } from "./fail.js";
import { outputMode } from "./output.js";
import { reportRecord, resultOf } from "./store-failures.js";

export interface SyntheticFlags {
  json?: boolean;
  quiet?: boolean;
  store?: string;
  format?: string;
}

/** Runs a synthetic once as a stored run of kind `synthetic`: its events, one window, its result. */
export async function recordSyntheticRun(
  spec: SyntheticSpec,
  store: string | undefined,
  signal?: AbortSignal,
): Promise<{ result: SyntheticResult; runId: string; exitCode: number }> {
  const record = await runLifecycle(syntheticKind, spec, {
    store,
    signals: signal === undefined,
    signal,
    listeners: [(e) => e.type === "warning" && process.stderr.write(`${e.message}\n`)],
  });
  return { result: resultOf<SyntheticResult>(record), runId: record.runId, exitCode: reportRecord(record) };
}

function printResult(result: SyntheticResult, runId: string, colour: boolean): void {
  const pc = createColors(colour);
  for (const s of result.steps) {
    const mark = s.status === "passed" ? pc.green("✓") : s.status === "failed" ? pc.red("✗") : pc.dim("-");
    const time =
      s.status === "skipped"
        ? "skipped"
        : `${Math.round(s.responseTimeMs)} ms${s.degraded ? pc.yellow(" (degraded)") : ""}`;
    process.stdout.write(`  ${mark} ${s.name}  ${s.response ? `${s.response.status} ` : ""}${time}\n`);
    for (const f of s.failures) process.stdout.write(`      ${pc.red(f)}\n`);
  }
  const verdict = result.ok ? pc.green(result.degraded ? "PASSED (degraded)" : "PASSED") : pc.red("FAILED");
  process.stdout.write(
    `${verdict} ${result.name}: ${result.reason} in ${Math.round(result.durationMs)} ms${result.attempts > 1 ? ` after ${result.attempts} attempts` : ""} (run ${runId})\n`,
  );
}

/** `withstand synthetic FILE`: one run of a synthetic transaction, recorded in the store. */
export async function syntheticCommand(
  target: string,
  rest: string[],
  flags: SyntheticFlags,
): Promise<ExitCode> {
  if (target === "examples") return examplesCommand(rest, flags);
  if (rest.length > 0) failUsage(`synthetic: unexpected argument ${rest[0]} (expected one Synthetic file)`);
  const loaded = await loadSyntheticFile(target);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) return EXIT.invalid;
  const { result, runId, exitCode } = await recordSyntheticRun(loaded.spec, flags.store);
  if (flags.json) process.stdout.write(`${JSON.stringify({ runId, ...result })}\n`);
  else if (flags.quiet)
    process.stdout.write(`${result.ok ? "passed" : "failed"}: ${result.reason} (run ${runId})\n`);
  else printResult(result, runId, outputMode(flags) === "tty");
  return exitCode as ExitCode;
}

/**
 * `withstand synthetic examples NAME`: the requests and responses of the synthetic's last passing run,
 * secrets redacted, as Markdown (or JSON) for documentation that is known to work today.
 */
async function examplesCommand(args: string[], flags: SyntheticFlags): Promise<ExitCode> {
  const [name, extra] = args;
  if (!name) failUsage("synthetic examples: expected the synthetic's name (metadata.name) or its file");
  if (extra !== undefined) failUsage(`synthetic examples: unexpected argument ${extra}`);
  const format = flags.format ?? "md";
  if (format !== "md" && format !== "json") failUsage(`--format ${format}: expected md or json`);
  let title = name;
  if (/\.(ya?ml|json)$/.test(name)) {
    const loaded = await loadSyntheticFile(name);
    if (!loaded.spec) {
      for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return EXIT.invalid;
    }
    title = loaded.spec.name;
  }
  const store = openStore(flags.store);
  try {
    const runs = await store.listRuns({ kind: "synthetic", outcome: "passed", search: title, limit: 50 });
    const last = runs.find((r) => r.title === title);
    if (!last)
      failUsage(
        `synthetic examples: no passing run of ${title} in this store (run it with withstand synthetic FILE)`,
      );
    const run = await store.getRun(last.id);
    const result = run?.result as SyntheticResult | undefined;
    if (!result?.steps) failUsage(`synthetic examples: run ${last.id} recorded no steps`);
    process.stdout.write(
      format === "json" ? `${JSON.stringify(result, null, 2)}\n` : examplesMarkdown(result),
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
