import { existsSync, mkdirSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { WithstandError } from "../core/errors.js";
import type { RunEvent } from "../core/events.js";
import { EXIT } from "../core/exit-codes.js";
import type { StoredWindow } from "../core/window.js";
import { isAlive, sameProcess, starttimeOf } from "../platform/processes.js";
import {
  type FlagChange,
  type FlagChangeFilter,
  type FlagChangeRow,
  flagChangeOf,
  flagChangeQuery,
  flagChangeRow,
} from "./flag-audit.js";
import { MIGRATIONS } from "./migrations.js";
import {
  interruptedEnd,
  likeContaining,
  likeStartingWith,
  pageOf,
  type RunRow,
  runDetail,
  runSummary,
  storable,
} from "./rows.js";
import type { RunDetail, RunEnd, RunFilter, RunStart, RunSummary, Store, StoreTail } from "./store.js";

/**
 * Where runs are stored when neither --store nor WITHSTAND_STORE says: one store per user, in the XDG
 * data directory (~/.local/share/withstand/withstand.db), so runs from every directory are in one
 * history; a project's own `./.withstand/` is used when it already exists.
 */
export function defaultStorePath(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const local = join(cwd, ".withstand");
  if (existsSync(local)) return join(local, "withstand.db");
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return join(data, "withstand", "withstand.db");
}

export function storePath(flag?: string): string {
  return resolve(flag ?? process.env.WITHSTAND_STORE ?? defaultStorePath());
}

/** The tail cursor is opaque to callers; here it is the last event and window row ids, "sqlite:E:W". */
function encodeCursor(c: { events: number; windows: number }): string {
  return `sqlite:${c.events}:${c.windows}`;
}

function decodeCursor(cursor: string | undefined): { events: number; windows: number } | undefined {
  const m = cursor === undefined ? null : /^sqlite:(\d+):(\d+)$/.exec(cursor);
  return m ? { events: Number(m[1]), windows: Number(m[2]) } : undefined;
}

/** Runs `fn` again while SQLite says the database is locked or busy, for up to five seconds. */
function whileLocked<T>(fn: () => T): T {
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (!code.startsWith("SQLITE_BUSY") && !code.startsWith("SQLITE_LOCKED")) throw err;
      if (Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.random() * 20);
    }
  }
}

/** The embedded store: one SQLite file in WAL mode, so readers (dashboard) never block the runner. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly seq = new Map<string, number>();
  /** Statements on the hot path are prepared once: runs append a window and events every second. */
  private readonly statements = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** `migrate: false` only reads (`store status`): it never creates the file, its folder or its tables. */
  constructor(
    readonly path: string,
    options: { migrate: boolean } = { migrate: true },
  ) {
    if (!options.migrate && !existsSync(path))
      throw new WithstandError(
        "WS_STORE",
        `--store ${path}: no store there yet (a run creates it)`,
        EXIT.invalid,
      );
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // First, so that every later statement (switching to WAL included) waits for other writers.
    this.db.pragma("busy_timeout = 5000");
    // Switching a new file to WAL can answer "locked" at once (no busy handler) while another runner
    // creates the same store: retry, as the busy timeout would.
    whileLocked(() => this.db.pragma("journal_mode = WAL"));
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    if (options.migrate) whileLocked(() => this.migrate());
    if (this.db.pragma("user_version", { simple: true }) === MIGRATIONS.length) this.markInterrupted();
  }

  /**
   * Applies the missing migrations. Several runners may open a new store at once: each migration
   * runs in an IMMEDIATE transaction that re-reads the version, so exactly one process applies it.
   */
  private migrate(): void {
    const version = () => this.db.pragma("user_version", { simple: true }) as number;
    while (version() < MIGRATIONS.length) {
      this.db
        .transaction(() => {
          const v = version();
          if (v >= MIGRATIONS.length) return;
          this.db.exec(MIGRATIONS[v] ?? "");
          this.db.pragma(`user_version = ${v + 1}`);
        })
        .immediate();
    }
  }

  private reconciledAt = 0;
  /** The runs this process is writing, and the timer that records every second that it still is. */
  private readonly running = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  private heartbeat(): void {
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.running.size === 0) return;
      const now = Date.now();
      try {
        for (const id of this.running)
          this.stmt("UPDATE runs SET seen_at = ? WHERE id = ? AND status = 'running'").run(now, id);
      } catch {
        // A busy or closed database: the next beat tries again; a heartbeat is only a hint.
      }
    }, 1000);
    this.heartbeatTimer.unref();
  }

  /**
   * A run left `running` by a runner that no longer exists was killed: record it as interrupted.
   * Every reader calls this (at most every 500 ms), so a `serve` that is already running, `runs` and
   * the health page all see a SIGKILLed runner's run as interrupted, not "in progress" for ever. A
   * runner is gone when its pid is dead, a zombie, or now held by a process with another start time.
   */
  private markInterrupted(): void {
    const now = Date.now();
    if (now - this.reconciledAt < 500) return;
    this.reconciledAt = now;
    const rows = this.stmt(
      "SELECT id, runner_pid, runner_host, runner_starttime FROM runs WHERE status = 'running'",
    ).all() as RunRow[];
    if (rows.length === 0) return;
    const host = hostname();
    const update = this.stmt(
      "UPDATE runs SET status = 'interrupted', outcome = 'interrupted', exit_code = 3, ended_at = ? WHERE id = ? AND status = 'running'",
    );
    const signs = this.stmt(
      "SELECT (SELECT MAX(ts) FROM events WHERE run_id = runs.id) AS ts, (SELECT MAX(end_ms) FROM windows WHERE run_id = runs.id) AS w, started_at, seen_at FROM runs WHERE id = ?",
    );
    for (const row of rows) {
      if (row.runner_host !== host) continue;
      const alive =
        row.runner_starttime === null
          ? isAlive(row.runner_pid)
          : sameProcess({ pid: row.runner_pid, starttime: Number(row.runner_starttime) });
      if (alive) continue;
      // It ended at its last sign of life: its last event, window or heartbeat.
      const last = signs.get(row.id) as
        | { ts: string | null; w: number | null; started_at: string; seen_at: number | null }
        | undefined;
      if (last) update.run(interruptedEnd(last.started_at, [last.ts, last.w, last.seen_at]), row.id);
    }
  }

  async beginRun(run: RunStart): Promise<void> {
    this.db
      .prepare(
        "INSERT INTO runs (id, kind, title, source, status, started_at, runner_pid, runner_host, runner_starttime, group_name, seen_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
      )
      .run(
        storable(run.id),
        storable(run.kind),
        storable(run.title),
        storable(run.source),
        run.startedAt,
        process.pid,
        hostname(),
        starttimeOf(process.pid) ?? null,
        run.group === undefined ? null : storable(run.group),
        Date.now(),
      );
    this.seq.set(run.id, 0);
    this.running.add(run.id);
    this.heartbeat();
  }

  async appendEvent(event: RunEvent): Promise<void> {
    const seq = (this.seq.get(event.runId) ?? 0) + 1;
    this.seq.set(event.runId, seq);
    this.stmt("INSERT INTO events (run_id, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)").run(
      event.runId,
      seq,
      event.ts,
      event.type,
      JSON.stringify(event),
    );
  }

  async appendWindow(runId: string, series: string, window: StoredWindow): Promise<void> {
    this.stmt(
      "INSERT OR IGNORE INTO windows (run_id, series, start_ms, end_ms, data) VALUES (?, ?, ?, ?, ?)",
    ).run(runId, series, window.start, window.end, JSON.stringify(window));
  }

  async finishRun(runId: string, end: RunEnd): Promise<void> {
    this.running.delete(runId);
    this.db.transaction(() => {
      this.db
        .prepare(
          "UPDATE runs SET status = ?, deviated = ?, outcome = ?, exit_code = ?, ended_at = ?, duration_ms = ?, journal = ? WHERE id = ?",
        )
        .run(
          end.status,
          end.deviated ? 1 : 0,
          end.outcome,
          end.exitCode,
          end.endedAt,
          Math.round(end.durationMs),
          JSON.stringify(end.result),
          runId,
        );
    })();
  }

  private where(filter: RunFilter): { sql: string; args: unknown[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push("status = ?");
      args.push(storable(filter.status));
    }
    if (filter.outcome) {
      where.push("outcome = ?");
      args.push(storable(filter.outcome));
    }
    if (filter.idPrefix) {
      where.push("id LIKE ? ESCAPE '\\'");
      args.push(likeStartingWith(filter.idPrefix));
    }
    if (filter.kind) {
      where.push("kind = ?");
      args.push(storable(filter.kind));
    }
    if (filter.group) {
      where.push("group_name = ?");
      args.push(storable(filter.group));
    }
    if (filter.search) {
      where.push("(id LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')");
      const like = likeContaining(filter.search);
      args.push(like, like, like);
    }
    return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    this.markInterrupted();
    const { sql, args } = this.where(filter);
    return (
      this.db
        .prepare(`SELECT * FROM runs ${sql} ORDER BY started_at DESC LIMIT ? OFFSET ?`)
        .all(...args, pageOf(filter).limit, pageOf(filter).offset) as RunRow[]
    ).map(runSummary);
  }

  async countRuns(filter: RunFilter = {}): Promise<number> {
    this.markInterrupted();
    const { sql, args } = this.where(filter);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM runs ${sql}`).get(...args) as { n: number }).n;
  }

  async tail(cursor?: string, limit = 2000): Promise<StoreTail> {
    const at = decodeCursor(cursor);
    if (!at) {
      const e = this.stmt("SELECT COALESCE(MAX(rowid), 0) AS n FROM events").get() as { n: number };
      const w = this.stmt("SELECT COALESCE(MAX(rowid), 0) AS n FROM windows").get() as { n: number };
      return { cursor: encodeCursor({ events: e.n, windows: w.n }), events: [], windows: [] };
    }
    const events = this.stmt("SELECT rowid, data FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?").all(
      at.events,
      limit,
    ) as { rowid: number; data: string }[];
    const windows = this.stmt(
      "SELECT rowid, run_id, series, data FROM windows WHERE rowid > ? ORDER BY rowid LIMIT ?",
    ).all(at.windows, limit) as { rowid: number; run_id: string; series: string; data: string }[];
    return {
      cursor: encodeCursor({
        events: events.at(-1)?.rowid ?? at.events,
        windows: windows.at(-1)?.rowid ?? at.windows,
      }),
      events: events.map((e) => JSON.parse(e.data) as RunEvent),
      windows: windows.map((w) => ({
        ...(JSON.parse(w.data) as StoredWindow),
        series: w.series,
        runId: w.run_id,
      })),
    };
  }

  async getRun(idOrPrefix: string): Promise<RunDetail | undefined> {
    this.markInterrupted();
    const rows = this.db
      // The exact id first: "run-1" must not be lost behind "run-10" and "run-11", started later.
      .prepare(
        "SELECT * FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY (id = ?) DESC, started_at DESC LIMIT 2",
      )
      .all(storable(idOrPrefix), likeStartingWith(idOrPrefix), storable(idOrPrefix)) as RunRow[];
    const row = rows.find((r) => r.id === storable(idOrPrefix)) ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const events = this.db.prepare("SELECT data FROM events WHERE run_id = ? ORDER BY seq").all(row.id) as {
      data: string;
    }[];
    const windows = this.db
      .prepare("SELECT series, data FROM windows WHERE run_id = ? ORDER BY series, start_ms")
      .all(row.id) as { series: string; data: string }[];
    return runDetail(row, events, windows);
  }

  async importRun(run: RunDetail): Promise<boolean> {
    return this.db
      .transaction(() => {
        const inserted = this.db
          .prepare(
            `INSERT OR IGNORE INTO runs (id, kind, title, source, status, deviated, outcome, exit_code, started_at, ended_at, duration_ms, runner_pid, runner_host, journal, group_name)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'imported', ?, ?)`,
          )
          .run(
            run.id,
            run.kind,
            run.title,
            run.source,
            run.status,
            run.deviated ? 1 : 0,
            run.outcome,
            run.exitCode,
            run.startedAt,
            run.endedAt,
            run.durationMs,
            run.result === null ? null : JSON.stringify(run.result),
            run.group,
          );
        if (inserted.changes === 0) return false;
        const event = this.stmt("INSERT INTO events (run_id, seq, ts, type, data) VALUES (?, ?, ?, ?, ?)");
        for (const [i, e] of run.events.entries()) event.run(run.id, i + 1, e.ts, e.type, JSON.stringify(e));
        const window = this.stmt(
          "INSERT OR IGNORE INTO windows (run_id, series, start_ms, end_ms, data) VALUES (?, ?, ?, ?, ?)",
        );
        for (const { series, ...w } of run.windows)
          window.run(run.id, series, w.start, w.end, JSON.stringify(w));
        return true;
      })
      .immediate();
  }

  /** The schema version this file is at, and the latest this withstand knows. */
  version(): { applied: number; latest: number } {
    return { applied: this.db.pragma("user_version", { simple: true }) as number, latest: MIGRATIONS.length };
  }

  async windowsAfter(runId: string, series: string, afterStartMs: number): Promise<StoredWindow[]> {
    const rows = this.stmt(
      "SELECT data FROM windows WHERE run_id = ? AND series = ? AND start_ms > ? ORDER BY start_ms",
    ).all(runId, series, afterStartMs) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as StoredWindow);
  }

  async windowsBetween(series: string, fromMs: number, toMs: number): Promise<StoredWindow[]> {
    const rows = (
      series === "*"
        ? this.stmt("SELECT data FROM windows WHERE start_ms >= ? AND start_ms < ? ORDER BY start_ms").all(
            fromMs,
            toMs,
          )
        : this.stmt(
            "SELECT data FROM windows WHERE series = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms",
          ).all(series, fromMs, toMs)
    ) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as StoredWindow);
  }

  async recordFlagChange(change: FlagChange): Promise<void> {
    whileLocked(() =>
      this.stmt(
        "INSERT INTO flag_changes (ts, server, flag, actor, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(...flagChangeRow(change)),
    );
  }

  async flagChanges(filter: FlagChangeFilter = {}): Promise<FlagChange[]> {
    const q = flagChangeQuery(filter, () => "?");
    return (this.stmt(q.sql).all(...q.args) as FlagChangeRow[]).map(flagChangeOf);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.db.close();
  }
}
