import type { ErrorCode } from "../core/errors.js";
import type { EventBus, RunEvent } from "../core/events.js";
import type { Outcome } from "../core/run-outcome.js";
import type { ServiceLookup } from "../core/service.js";
import type { StoredWindow } from "../core/window.js";
import type { Diagnostic } from "../documents/diagnostic.js";
import type { RunDetail } from "../store/store.js";
import type { Service } from "./service.js";

/** One pass/fail line of a run: a JUnit test case, a row of `runs show`, a check in a report. */
export interface Check {
  suite: string;
  name: string;
  ok: boolean;
  message: string;
  seconds: number;
}

/** What the views (runs show, reports, JUnit, the dashboard) need of a kind's stored runs. */
export interface RunKindView {
  /** What the dashboard's filter calls runs of this kind ("load tests"). */
  label: string;
  checks(run: RunDetail): Check[];
}

/** What a run is, recorded when it begins and announced by `run-started`. */
export interface RunHeader {
  title: string;
  source: string;
  /** Extra fields of `run-started` (a load run's thresholds, group and segment). */
  started?: Omit<Extract<RunEvent, { type: "run-started" }>, "type" | "runId" | "ts" | "title" | "source">;
}

/** What a kind's execution sees of its session: ids, the bus, the stop signals, windows and services. */
export interface RunScope {
  readonly runId: string;
  readonly bus: EventBus;
  /** Aborted on the first stop (Ctrl-C, SIGTERM, halt, deadline); its reason is a StopReason. */
  readonly signal: AbortSignal;
  /** Aborted on a second stop: even rollbacks and drains are cut short. */
  readonly hardSignal: AbortSignal;
  /** A dry run: describe, touch nothing, wait for nothing; nothing is recorded. */
  readonly dryRun: boolean;
  readonly services: ServiceLookup;
  emit(event: RunEvent): void;
  window(series: string, window: StoredWindow): void;
  /** A teardown run when the session closes (reverse order). */
  defer(teardown: () => Promise<void> | void): void;
}

/** How a kind's execution ended, in the shared outcome vocabulary (core/run-outcome.ts). */
export interface KindResult {
  outcome: Outcome;
  reason: string;
  /** What the store keeps at the run's end (an experiment's journal, a load's summary). */
  result?: unknown;
  durationMs?: number | undefined;
  /** Set for an `invalid` outcome: bad input found while running (a selector that matched nothing). */
  usageError?: string | undefined;
  /** The error code of that bad input (WS_TARGET_NO_MATCH, WS_CONFIG, ...). */
  usageCode?: ErrorCode | undefined;
}

/**
 * A run kind (experiment, load, rollout, synthetic, inject; game days next): a module behind this
 * interface plus one line in runs/index.ts. The session (engine/lifecycle.ts) opens the run, records
 * it, starts its services, maps its outcome to a status and exit code, and finishes it on every path.
 */
export interface RunKind<Spec = unknown, Options = unknown> {
  /** The stored kind (`withstand runs --kind`). */
  readonly name: string;
  /** The document kinds it runs (`kind:` of a native document; `chaostoolkit` for a CTK experiment). */
  readonly documentKinds: readonly string[];
  /** Every outcome a run of this kind can reach. */
  readonly outcomes: readonly Outcome[];
  /** Whether `--dry-run` describes the run (else a dry run of it is refused). */
  readonly dryRuns: boolean;
  /** Reads one document file. */
  load?(
    file: string,
    options: Partial<Options>,
  ): Promise<{ spec?: Spec | undefined; diagnostics: Diagnostic[] }>;
  header(spec: Spec, options: Partial<Options>): RunHeader;
  /** The services the document declares, from the registry, with the scopes to substitute into them. */
  services?(
    spec: Spec,
    options: Partial<Options>,
  ): { spec: unknown; scopes: Record<string, unknown>[]; file: string };
  /**
   * Work before anything is recorded (claim a rollout's name); a throw records nothing. What it
   * returns is handed to `execute`.
   */
  prepare?(spec: Spec, scope: RunScope, options: Partial<Options>): Promise<unknown>;
  execute(spec: Spec, scope: RunScope, options: Partial<Options>, prepared?: unknown): Promise<KindResult>;
  readonly view: RunKindView;
}

/** Lets a module declare its kind with its own types and register it beside the others. */
export function defineRunKind<S, O>(kind: RunKind<S, O>): RunKind {
  return kind as unknown as RunKind;
}

export type { Service };
