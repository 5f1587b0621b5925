import { type ErrorCode, WithstandError } from "../core/errors.js";
import type { EventBus, Listener } from "../core/events.js";
import type { RunStatus } from "../core/exit-codes.js";
import { EXIT } from "../core/exit-codes.js";
import { EXIT_RECORD_INCOMPLETE, meaningOf, type Outcome } from "../core/run-outcome.js";
import type { Store } from "../store/store.js";
import type { KindResult, RunKind, RunScope } from "./run-kind.js";
import type { Service } from "./service.js";
import { ServiceSet } from "./service.js";
import { RunSession, type StopReason } from "./session.js";

export interface LifecycleOptions<O = unknown> {
  /** A store path or URL, an open Store, or false for no record (a dry run records nothing anyway). */
  store?: string | Store | false | undefined;
  /** Take SIGINT/SIGTERM (interrupted) and SIGUSR1 (`withstand halt`), as the CLI does. */
  signals?: boolean | undefined;
  deadlineMs?: number | undefined;
  dryRun?: boolean | undefined;
  /** Aborting it stops the run, its reason a StopReason (the library's way to Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Listeners on the run's bus from before `run-started` (a renderer). */
  listeners?: readonly Listener[] | undefined;
  runId?: string | undefined;
  bus?: EventBus | undefined;
  /** The service registry the run may start (runs/ passes services/index.ts). */
  services?: readonly Service[] | undefined;
  /** The kind's own options (an experiment's strategies, a load run's window hook). */
  options?: Partial<O> | undefined;
}

/** A finished run, as the CLI prints it and the library returns it. */
export interface RunRecord {
  runId: string;
  kind: string;
  status: RunStatus;
  outcome: Outcome;
  deviated: boolean;
  reason: string;
  /** The outcome's exit code, or 4 when the store could not take the whole record (see `incomplete`). */
  exitCode: number;
  durationMs: number;
  result: unknown;
  usageError?: string | undefined;
  usageCode?: ErrorCode | undefined;
  /** Listeners that threw (a broken renderer never breaks a run). */
  listenerFailures: string[];
  /** Set when the record is incomplete: why, and the local journal that holds what the store missed. */
  incomplete?: { failures: string[]; journal?: string | undefined } | undefined;
}

/**
 * Runs one document of a kind through its whole lifecycle: open (store, signals, deadline), prepare,
 * record the start, start the declared services, execute, stop the services, map the outcome through
 * core/run-outcome.ts, record the end, close. Every run kind, the CLI and the library go through here,
 * so `run-started` and `run-finished` are emitted once, here.
 */
export async function runLifecycle<S, O>(
  kind: RunKind<S, O>,
  spec: S,
  opts: LifecycleOptions<O> = {},
): Promise<RunRecord> {
  const dryRun = opts.dryRun ?? false;
  if (dryRun && !kind.dryRuns)
    throw new WithstandError("WS_USAGE", `--dry-run: a ${kind.name} run cannot be dry-run`, EXIT.invalid);
  const session = RunSession.create({
    store: dryRun ? false : opts.store,
    signals: opts.signals ?? false,
    deadlineMs: opts.deadlineMs,
    runId: opts.runId,
    bus: opts.bus,
  });
  const options = opts.options ?? {};
  try {
    for (const l of opts.listeners ?? []) session.bus.on(l);
    follow(opts.signal, session);
    const services = new ServiceSet();
    const scope = scopeOf(session, services, dryRun);
    const prepared = await kind.prepare?.(spec, scope, options);
    const header = kind.header(spec, options);
    await session.begin({
      kind: kind.name,
      title: header.title,
      source: header.source,
      group: header.started?.group,
    });
    const started = Date.now();
    session.emit({
      type: "run-started",
      runId: session.runId,
      ts: new Date(started).toISOString(),
      title: header.title,
      source: header.source,
      ...header.started,
    });
    const result = await executeWithServices(
      kind,
      spec,
      scope,
      services,
      opts.services ?? [],
      options,
      session,
      prepared,
    );
    return await conclude(kind, session, result, Date.now() - started);
  } finally {
    await session.close();
  }
}

function follow(external: AbortSignal | undefined, session: RunSession): void {
  if (!external) return;
  const stop = () => session.abort((external.reason as StopReason) ?? "interrupted");
  if (external.aborted) stop();
  else {
    external.addEventListener("abort", stop, { once: true });
    session.defer(() => external.removeEventListener("abort", stop));
  }
}

function scopeOf(session: RunSession, services: ServiceSet, dryRun: boolean): RunScope {
  return {
    runId: session.runId,
    bus: session.bus,
    signal: session.signal,
    hardSignal: session.hardSignal,
    dryRun,
    services,
    emit: (e) => session.emit(e),
    window: (series, w) => session.window(series, w),
    defer: (t) => session.defer(t),
  };
}

/** Starts the services, executes, and stops the services in reverse on every path (rollbacks ran inside). */
async function executeWithServices<S, O>(
  kind: RunKind<S, O>,
  spec: S,
  scope: RunScope,
  services: ServiceSet,
  registry: readonly Service[],
  options: Partial<O>,
  session: RunSession,
  prepared: unknown,
): Promise<KindResult> {
  try {
    const declared = kind.services?.(spec, options);
    if (declared) await services.start(registry, declared.spec, declared.scopes, declared.file);
    return await kind.execute(spec, scope, options, prepared);
  } catch (err) {
    return failed(err, session);
  } finally {
    await services.stop().catch((err: unknown) =>
      session.emit({
        type: "warning",
        runId: session.runId,
        ts: new Date().toISOString(),
        message: `stopping a service: ${(err as Error).message}`,
      }),
    );
  }
}

/** An execution that threw: stopped from outside, bad input (exit 2), or a bug in withstand (exit 70). */
function failed(err: unknown, session: RunSession): KindResult {
  if (session.signal.aborted) {
    const why = (session.signal.reason as StopReason) ?? "interrupted";
    return { outcome: why, reason: `stopped: ${why}` };
  }
  if (err instanceof WithstandError && err.exitCode === EXIT.invalid)
    return { outcome: "invalid", reason: err.message, usageError: err.message, usageCode: err.code };
  return {
    outcome: "crashed",
    reason: `unexpected error (a bug in withstand): ${(err as Error)?.stack ?? String(err)}`,
  };
}

async function conclude(
  kind: { name: string },
  session: RunSession,
  r: KindResult,
  tookMs: number,
): Promise<RunRecord> {
  const m = meaningOf(r.outcome);
  const durationMs = r.durationMs ?? tookMs;
  const end = {
    status: m.status,
    deviated: m.deviated,
    outcome: r.outcome,
    reason: r.reason,
    exitCode: m.exitCode,
    durationMs,
    result: r.result ?? null,
  };
  const written = await session.conclude(end);
  return {
    runId: session.runId,
    kind: kind.name,
    ...end,
    listenerFailures: session.bus.failures.map((e) => e.message),
    result: r.result,
    exitCode: written.complete ? m.exitCode : EXIT_RECORD_INCOMPLETE,
    ...(r.usageError !== undefined ? { usageError: r.usageError } : {}),
    ...(r.usageCode !== undefined ? { usageCode: r.usageCode } : {}),
    ...(written.complete ? {} : { incomplete: { failures: written.failures, journal: written.journal } }),
  };
}
