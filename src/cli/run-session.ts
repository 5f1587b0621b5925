import type { ErrorCode } from "../core/errors.js";
import type { ExperimentSpec } from "../core/experiment.js";
import type { Journal } from "../core/journal.js";
import { runLifecycle } from "../engine/lifecycle.js";
import type { RunOptions } from "../engine/run.js";
import { experimentKind } from "../runs/experiment.js";
import { injectKind } from "../runs/inject.js";
import { SERVICES } from "../services/index.js";
import { type OutputMode, printSummary, RunRenderer } from "./output.js";
import { reportRecord } from "./store-failures.js";
import { writeOutput } from "./write-output.js";

export { newRunId } from "../engine/session.js";

export interface SessionOptions extends Omit<RunOptions, "runId" | "bus" | "signal" | "hardSignal"> {
  store?: string | undefined;
  journalPath?: string | undefined;
  deadlineMs?: number | undefined;
  mode: OutputMode;
  /** `withstand inject`: the one-fault experiment is recorded as a run of kind inject. */
  inject?: boolean;
}

/**
 * Runs one experiment as a run (engine/lifecycle.ts) with the CLI's renderer: Ctrl-C/SIGTERM
 * interrupt (a second Ctrl-C also stops rollbacks), SIGUSR1 is `withstand halt`.
 */
export async function runSession(
  spec: ExperimentSpec,
  opts: SessionOptions,
): Promise<{
  exitCode: number;
  usageError?: string | undefined;
  usageCode?: ErrorCode | undefined;
  journal?: Journal | undefined;
}> {
  const { store, journalPath, deadlineMs, mode, inject, dryRun, ...options } = opts;
  const renderer = new RunRenderer(mode, !dryRun);
  const record = await runLifecycle(inject ? injectKind : experimentKind, spec, {
    store,
    signals: true,
    deadlineMs,
    dryRun,
    listeners: [renderer.onEvent],
    services: SERVICES,
    options,
  });
  const journal = record.result as Journal | undefined;
  if (journal) {
    if (journalPath) writeOutput("--journal-path", journalPath, `${JSON.stringify(journal, null, 2)}\n`);
    printSummary(journal, mode, spec.title, !dryRun);
  }
  const usageError = record.usageError ?? (journal ? undefined : record.reason);
  return { exitCode: reportRecord(record), usageError, usageCode: record.usageCode, journal };
}
