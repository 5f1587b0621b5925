import type { RunEvent } from "../core/events.js";
import type { Journal } from "../core/journal.js";
import type { StoredWindow } from "../core/window.js";
import type { RunDetail, RunSummary, StoredStatus } from "./store.js";

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
  group_name?: string | null;
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
    group: row.group_name ?? null,
  };
}

/** A run with its events and windows, from the rows either adapter read (events in order). */
export function runDetail(
  row: RunRow,
  events: readonly { data: string }[],
  windows: readonly { series: string; data: string }[],
): RunDetail {
  return {
    ...runSummary(row),
    journal: row.kind === "experiment" && row.journal ? (JSON.parse(row.journal) as Journal) : null,
    result: row.journal ? (JSON.parse(row.journal) as unknown) : null,
    events: events.map((e) => JSON.parse(e.data) as RunEvent),
    windows: windows.map((w) => ({ ...(JSON.parse(w.data) as StoredWindow), series: w.series })),
  };
}
