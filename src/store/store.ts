import type { RunEvent } from "../core/events.js";
import type { RunStatus } from "../core/exit-codes.js";
import type { Journal } from "../core/journal.js";
import type { StoredWindow } from "../core/window.js";

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
  journal: Journal | null;
  events: RunEvent[];
  windows: (StoredWindow & { series: string })[];
}

export interface RunFilter {
  status?: StoredStatus | undefined;
  kind?: string | undefined;
  limit?: number | undefined;
}

/** The run store the engine writes and every view reads; SQLite by default, PostgreSQL later. */
export interface Store {
  beginRun(run: { id: string; kind: string; title: string; source: string; startedAt: string }): void;
  appendEvent(event: RunEvent): void;
  appendWindow(runId: string, series: string, window: StoredWindow): void;
  /** Writes the journal and the final status in one transaction. */
  finishRun(runId: string, journal: Journal, outcome: string, exitCode: number): void;
  listRuns(filter?: RunFilter): RunSummary[];
  getRun(idOrPrefix: string): RunDetail | undefined;
  close(): void;
}
