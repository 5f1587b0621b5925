import type { RunSummary, StoredStatus } from "./store.js";

/** A row of the runs table as either adapter returns it (SQLite: 0/1 and numbers; pg: booleans, bigint strings). */
export interface RunRow {
  id: string;
  kind: string;
  title: string;
  source: string;
  status: StoredStatus;
  deviated: number | boolean;
  outcome: string | null;
  exit_code: number | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | string | null;
  runner_pid: number;
  runner_host: string;
  runner_starttime: number | string | null;
  lease_until?: number | string | null;
  journal: string | null;
}

export function runSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    source: row.source,
    status: row.status,
    deviated: row.deviated === true || row.deviated === 1,
    outcome: row.outcome,
    exitCode: row.exit_code,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  };
}
