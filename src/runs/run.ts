import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WithstandError } from "../core/errors.js";
import type { Listener } from "../core/events.js";
import { EXIT } from "../core/exit-codes.js";
import { detectKind } from "../documents/detect.js";
import { formatDiagnostic, hasErrors } from "../documents/diagnostic.js";
import { parseSource, readSource } from "../documents/source.js";
import { type RunRecord, runLifecycle } from "../engine/lifecycle.js";
import type { RunKind } from "../engine/run-kind.js";
import { SERVICES } from "../services/index.js";
import type { Store } from "../store/store.js";
import { kindForDocument, RUN_KINDS } from "./index.js";

export interface RunDocumentOptions {
  /** Where the run is recorded: a path or URL (default: the CLI's default store), an open Store, or false. */
  store?: string | Store | false | undefined;
  /** Describe it, touch nothing, record nothing (`--dry-run`). */
  dryRun?: boolean | undefined;
  /** Abort it to stop the run (its reason "interrupted", "halted" or "deadline"): faults revert at once. */
  signal?: AbortSignal | undefined;
  deadlineMs?: number | undefined;
  /** The run's id (default: a new one); a game day names its steps' runs before they start. */
  runId?: string | undefined;
  /** Take SIGINT, SIGTERM and SIGUSR1 (`withstand halt`) as the CLI does. */
  signals?: boolean | undefined;
  /** Every event of the run, from `run-started` to `run-finished`. */
  onEvent?: Listener | undefined;
  /** The kind's own options (an experiment's rollback strategy, a rollout's template files). */
  options?: Record<string, unknown> | undefined;
}

/** A parsed document is written to a private temporary file, so it is read exactly as a file is. */
function fileOf(document: string | Record<string, unknown>): string {
  if (typeof document === "string") return document;
  const dir = mkdtempSync(join(tmpdir(), "withstand-doc-"));
  const file = join(dir, "document.json");
  writeFileSync(file, JSON.stringify(document, null, 2), { mode: 0o600 });
  return file;
}

async function kindOf(file: string): Promise<RunKind> {
  const parsed = parseSource(file, await readSource(file));
  const first = parsed.docs[0];
  const detected = detectKind(first?.value);
  const name =
    detected.kind === "ctk-experiment"
      ? "chaostoolkit"
      : detected.kind === "native"
        ? detected.nativeKind
        : "";
  const kind = kindForDocument(name);
  if (!kind) {
    const known = [...RUN_KINDS.values()].flatMap((k) => k.documentKinds);
    throw new WithstandError(
      "WS_DOC_INVALID",
      `${file}: ${detected.kind === "unknown" ? detected.reason : `kind ${name} is not a run`} (expected a document of kind ${known.join(", ")})`,
      EXIT.invalid,
    );
  }
  return kind;
}

/**
 * Runs any document (a path, or a parsed document) and records it exactly as the CLI does: the same
 * store, events, windows, status and exit code, so `withstand runs` lists it. Bad input throws a
 * WithstandError (exit 2) naming file:line:col; a run's own result is in the record, never thrown.
 */
export async function run(
  document: string | Record<string, unknown>,
  opts: RunDocumentOptions = {},
): Promise<RunRecord> {
  const file = fileOf(document);
  const kind = await kindOf(file);
  // A game day runs its steps through this same function, into the same store (runs/gameday.ts).
  const options =
    kind.name === "gameday" ? { runStep: run, store: opts.store, ...opts.options } : (opts.options ?? {});
  const loaded = kind.load ? await kind.load(file, options) : { diagnostics: [] };
  if (!loaded.spec || hasErrors(loaded.diagnostics))
    throw new WithstandError(
      "WS_DOC_INVALID",
      loaded.diagnostics.map(formatDiagnostic).join("\n"),
      EXIT.invalid,
    );
  return runLifecycle(kind, loaded.spec, {
    store: opts.store,
    dryRun: opts.dryRun,
    signal: opts.signal,
    deadlineMs: opts.deadlineMs,
    runId: opts.runId,
    signals: opts.signals,
    listeners: opts.onEvent ? [opts.onEvent] : [],
    services: SERVICES,
    options,
  });
}

export type { RunRecord };
