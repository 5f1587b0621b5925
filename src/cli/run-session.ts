import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { EventBus } from "../core/events.js";
import type { ExperimentSpec } from "../core/experiment.js";
import { toStored } from "../core/window.js";
import { type RunOptions, type RunResult, runExperiment, type StopReason } from "../engine/run.js";
import { openStore } from "../store/open.js";
import { type OutputMode, printSummary, RunRenderer } from "./output.js";

export function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${randomBytes(3).toString("hex")}`;
}

export interface SessionOptions extends Omit<RunOptions, "runId" | "bus" | "signal" | "hardSignal"> {
  store?: string | undefined;
  journalPath?: string | undefined;
  deadlineMs?: number | undefined;
  mode: OutputMode;
}

/**
 * Wires one experiment run to the store, the renderer and the process's signals:
 * Ctrl-C/SIGTERM interrupt (a second Ctrl-C also stops rollbacks), SIGUSR1 is `withstand halt`.
 */
export async function runSession(spec: ExperimentSpec, opts: SessionOptions): Promise<RunResult> {
  const runId = newRunId();
  const bus = new EventBus();
  const renderer = new RunRenderer(opts.mode);
  bus.on(renderer.onEvent);
  const store = opts.dryRun ? undefined : openStore(opts.store);
  store?.beginRun({
    id: runId,
    kind: "experiment",
    title: spec.title,
    source: spec.file,
    startedAt: new Date().toISOString(),
  });
  if (store) bus.on((e) => store.appendEvent(e));

  const stop = new AbortController();
  const hard = new AbortController();
  const abort = (why: StopReason) => {
    if (stop.signal.aborted) hard.abort(why);
    else stop.abort(why);
  };
  const onInt = () => abort("interrupted");
  const onHalt = () => abort("halted");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onInt);
  process.on("SIGUSR1", onHalt);
  const deadline =
    opts.deadlineMs !== undefined ? setTimeout(() => abort("deadline"), opts.deadlineMs) : undefined;
  try {
    const result = await runExperiment(spec, {
      ...opts,
      runId,
      bus,
      signal: stop.signal,
      hardSignal: hard.signal,
      onWindow: (series, w) => store?.appendWindow(runId, series, toStored(w)),
    });
    const j = result.journal;
    store?.finishRun(runId, {
      status: j.status,
      deviated: j.deviated,
      outcome: j.withstand.outcome,
      exitCode: result.exitCode,
      endedAt: j.end,
      durationMs: j.duration * 1000,
      result: j,
    });
    if (opts.journalPath) writeFileSync(opts.journalPath, `${JSON.stringify(result.journal, null, 2)}\n`);
    printSummary(result.journal, opts.mode, spec.title);
    for (const err of bus.failures) process.stderr.write(`withstand: a listener failed: ${err.message}\n`);
    return result;
  } finally {
    clearTimeout(deadline);
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onInt);
    process.off("SIGUSR1", onHalt);
    store?.close();
  }
}
