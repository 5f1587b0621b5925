import type { RunEvent } from "../core/events.js";
import type { RunStatus } from "../core/exit-codes.js";
import type { Journal } from "../core/journal.js";
import type { StoredWindow } from "../core/window.js";

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
  kind?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  /** Matches the id, title or source. */
  search?: string | undefined;
}

/** What was written after a cursor: how `serve` follows runs written by other processes. */
export interface StoreTail {
  cursor: { events: number; windows: number };
  events: RunEvent[];
  windows: (StoredWindow & { series: string; runId: string })[];
}

/** The run store the engine writes and every view reads; SQLite by default, PostgreSQL later. */
export interface Store {
  beginRun(run: { id: string; kind: string; title: string; source: string; startedAt: string }): void;
  appendEvent(event: RunEvent): void;
  appendWindow(runId: string, series: string, window: StoredWindow): void;
  /** Writes the result (journal) and the final status in one transaction. */
  finishRun(runId: string, end: RunEnd): void;
  listRuns(filter?: RunFilter): RunSummary[];
  countRuns(filter?: RunFilter): number;
  /** Events and windows written after `cursor` (by any process); `undefined` starts at the end. */
  tail(cursor?: StoreTail["cursor"], limit?: number): StoreTail;
  getRun(idOrPrefix: string): RunDetail | undefined;
  /** Windows of every run that fall within [fromMs, toMs); `series` "*" means all series. */
  windowsBetween(series: string, fromMs: number, toMs: number): StoredWindow[];
  close(): void;
}
