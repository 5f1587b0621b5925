import type { ExperimentSpec } from "../core/experiment.js";
import { type RunOptions, type RunResult, runExperiment } from "../engine/run.js";
import { RunSession } from "../engine/session.js";
import { type OutputMode, printSummary, RunRenderer } from "./output.js";
import { storeExit } from "./store-failures.js";
import { writeOutput } from "./write-output.js";

export { newRunId } from "../engine/session.js";

export interface SessionOptions extends Omit<RunOptions, "runId" | "bus" | "signal" | "hardSignal"> {
  store?: string | undefined;
  journalPath?: string | undefined;
  deadlineMs?: number | undefined;
  mode: OutputMode;
}

/**
 * Runs one experiment in a run session (store, signals, deadline, teardown) with the CLI's renderer:
 * Ctrl-C/SIGTERM interrupt (a second Ctrl-C also stops rollbacks), SIGUSR1 is `withstand halt`.
 */
export async function runSession(spec: ExperimentSpec, opts: SessionOptions): Promise<RunResult> {
  const session = await RunSession.open(
    { kind: "experiment", title: spec.title, source: spec.file },
    { store: opts.dryRun ? false : opts.store, signals: true, deadlineMs: opts.deadlineMs },
  );
  try {
    session.bus.on(new RunRenderer(opts.mode, !opts.dryRun).onEvent);
    const result = await runExperiment(spec, {
      ...opts,
      runId: session.runId,
      bus: session.bus,
      signal: session.signal,
      hardSignal: session.hardSignal,
    });
    const j = result.journal;
    await session.finish({
      status: j.status,
      deviated: j.deviated,
      outcome: j.withstand.outcome,
      exitCode: result.exitCode,
      endedAt: j.end,
      durationMs: j.duration * 1000,
      result: j,
    });
    if (opts.journalPath)
      writeOutput("--journal-path", opts.journalPath, `${JSON.stringify(result.journal, null, 2)}\n`);
    printSummary(result.journal, opts.mode, spec.title, !opts.dryRun);
    for (const err of session.bus.failures)
      process.stderr.write(`withstand: a listener failed: ${err.message}\n`);
    return { ...result, exitCode: storeExit(session, result.exitCode) as typeof result.exitCode };
  } finally {
    await session.close();
  }
}
