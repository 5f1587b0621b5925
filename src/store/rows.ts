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

/**
 * One rule for both adapters. Neither keeps a NUL character in a text column (PostgreSQL cannot): it
 * becomes U+FFFD on the way in, in what is stored and in what is searched for alike.
 */
export function storable(text: string): string {
  return text.includes("\0") ? text.replace(/\0/g, "\uFFFD") : text;
}

/** A `LIKE ... ESCAPE '\'` pattern matching `text` anywhere, its `%`, `_` and `\` taken literally. */
export function likeContaining(text: string): string {
  return `%${storable(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A `LIKE ... ESCAPE '\'` pattern matching what starts with `text`. */
export function likeStartingWith(text: string): string {
  return `${storable(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A page of runs: a limit or offset that is negative or not a whole number is the default. */
export function pageOf(filter: { limit?: number | undefined; offset?: number | undefined }): {
  limit: number;
  offset: number;
} {
  const whole = (n: number | undefined): n is number => n !== undefined && Number.isSafeInteger(n) && n >= 0;
  return { limit: whole(filter.limit) ? filter.limit : 50, offset: whole(filter.offset) ? filter.offset : 0 };
}

/**
 * When an interrupted run ended, as well as anyone can tell: its last sign of life, the latest of its
 * last event, the end of its last window and its runner's last heartbeat (never before its start).
 */
export function interruptedEnd(
  startedAt: string,
  signs: readonly (string | number | null | undefined)[],
): string {
  let latest = Date.parse(startedAt);
  for (const s of signs) {
    if (s === null || s === undefined) continue;
    const ms = typeof s === "number" ? s : /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (Number.isFinite(ms) && ms > latest) latest = ms;
  }
  return Number.isFinite(latest) ? new Date(latest).toISOString() : startedAt;
}
