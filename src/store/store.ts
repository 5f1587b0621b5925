import type { RunEvent } from "../core/events.js";
import type { RunStatus } from "../core/exit-codes.js";
import type { Journal } from "../core/journal.js";
import type { StoredWindow } from "../core/window.js";
import type { FlagChange, FlagChangeFilter } from "./flag-audit.js";

export interface RunEnd {
  status: RunStatus;
  deviated: boolean;
  outcome: string;
  exitCode: number;
  endedAt: string;
  durationMs: number;
  /** The journal for experiments; the summary for load runs. */
  result: unknown;
}

/** What a run is when it begins. */
export interface RunStart {
  id: string;
  kind: string;
  title: string;
  source: string;
  startedAt: string;
  /** The load group a generator joins (`withstand load --group`). */
  group?: string | undefined;
}

/** One row per run; `running` until the runner records how it ended. */
export type StoredStatus = RunStatus | "running";

export interface RunSummary {
  id: string;
  kind: string;
  title: string;
  source: string;
  status: StoredStatus;
  deviated: boolean;
  outcome: string | null;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** The load group a generator run belongs to (`withstand load --group`); null for other runs. */
  group: string | null;
}

export interface RunDetail extends RunSummary {
  /** The CTK journal of an experiment run. */
  journal: Journal | null;
  /** What a run of another kind recorded at its end (a load run: its k6-style summary). */
  result: unknown;
  events: RunEvent[];
  windows: (StoredWindow & { series: string })[];
}

export interface RunFilter {
  status?: StoredStatus | undefined;
  /** The outcome the run list shows: held, deviated, passed, promoted, rolled-back, ... */
  outcome?: string | undefined;
  /** Runs whose id starts with this. */
  idPrefix?: string | undefined;
  kind?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  /** Matches the id, title or source. */
  search?: string | undefined;
  /** Runs of one load group. */
  group?: string | undefined;
}

/**
 * What was written after a cursor: how `serve` follows runs written by other processes. The cursor
 * is opaque: only the store that made it can read it (SQLite row ids today, something else elsewhere).
 */
export interface StoreTail {
  cursor: string;
  events: RunEvent[];
  windows: (StoredWindow & { series: string; runId: string })[];
}

/**
 * The run store the engine writes and every view reads; SQLite by default (store/sqlite.ts), others
 * through openStore(). Asynchronous, so an adapter over the network fits the same interface; every
 * adapter passes test/contract/store.test.ts.
 */
export interface Store {
  beginRun(run: RunStart): Promise<void>;
  appendEvent(event: RunEvent): Promise<void>;
  /** Writing the same window (run, series, start) twice keeps the first: a retried write never doubles it. */
  appendWindow(runId: string, series: string, window: StoredWindow): Promise<void>;
  /** A run's windows of one series that start after `afterStartMs`, in order: how a group follows its members. */
  windowsAfter(runId: string, series: string, afterStartMs: number): Promise<StoredWindow[]>;
  /** Writes the result (journal) and the final status in one transaction. */
  finishRun(runId: string, end: RunEnd): Promise<void>;
  /** Runs newest first; a run whose runner is gone reads as `interrupted`. */
  listRuns(filter?: RunFilter): Promise<RunSummary[]>;
  countRuns(filter?: RunFilter): Promise<number>;
  /** Events and windows written after `cursor` (by any process); `undefined` starts at the end. */
  tail(cursor?: string, limit?: number): Promise<StoreTail>;
  getRun(idOrPrefix: string): Promise<RunDetail | undefined>;
  /**
   * Writes a finished run read from another store, with its events and windows, in one transaction;
   * false (and nothing written) when a run with that id is already here, so a copy can be repeated.
   */
  importRun(run: RunDetail): Promise<boolean>;
  /**
   * Calls `onChange` soon after any process writes an event or a window (PostgreSQL: LISTEN/NOTIFY),
   * so readers need not poll; resolves with a function that stops watching. Stores without a push
   * channel leave it out, and readers poll their tail.
   */
  watch?(onChange: () => void): Promise<() => Promise<void>>;
  /** Windows of every run that fall within [fromMs, toMs); `series` "*" means all series. */
  windowsBetween(series: string, fromMs: number, toMs: number): Promise<StoredWindow[]>;
  /** Appends one feature-flag change to the audit log (store/flag-audit.ts). */
  recordFlagChange(change: FlagChange): Promise<void>;
  /** Flag changes, newest first. */
  flagChanges(filter?: FlagChangeFilter): Promise<FlagChange[]>;
  close(): Promise<void>;
}
