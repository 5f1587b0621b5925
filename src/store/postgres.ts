import { hostname } from "node:os";
import pg from "pg";
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
  PG_FLAG_AUDIT,
} from "./flag-audit.js";
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
import { parseStoreLocation, redactStoreUrl, scrubStoreSecrets } from "./url.js";

/**
 * The PostgreSQL store, for many runners and one dashboard: `--store postgres://user@host:port/db`
 * (`?schema=NAME` keeps withstand's tables in a schema of their own). Migrations run under an advisory
 * lock, so runners starting at once apply each exactly once. A runner renews a lease on its running
 * runs; any reader shows a run whose lease expired as interrupted, whichever machine it ran on.
 */

/** Versioned migrations; `withstand_migrations` records which ran. */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     title TEXT NOT NULL,
     source TEXT NOT NULL,
     status TEXT NOT NULL,
     deviated BOOLEAN NOT NULL DEFAULT FALSE,
     outcome TEXT,
     exit_code INTEGER,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     duration_ms BIGINT,
     runner_pid INTEGER NOT NULL,
     runner_host TEXT NOT NULL,
     runner_starttime BIGINT,
     lease_until BIGINT,
     journal TEXT
   );
   CREATE INDEX runs_started ON runs (started_at DESC);
   CREATE INDEX runs_status ON runs (status);
   CREATE TABLE events (
     id BIGSERIAL PRIMARY KEY,
     xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
     run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     ts TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     UNIQUE (run_id, seq)
   );
   CREATE INDEX events_xid ON events (xid, id);
   CREATE TABLE windows (
     id BIGSERIAL PRIMARY KEY,
     xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
     run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     series TEXT NOT NULL,
     start_ms BIGINT NOT NULL,
     end_ms BIGINT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX windows_run ON windows (run_id, series, start_ms);
   CREATE INDEX windows_start ON windows (start_ms);
   CREATE INDEX windows_xid ON windows (xid, id);`,
  // Readers follow writers without polling: every statement that adds events or windows notifies the
  // channel `withstand` with the schema it wrote to (collapsed to one notification per transaction).
  `CREATE FUNCTION withstand_notify() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('withstand', current_schema());
     RETURN NULL;
   END $$;
   CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION withstand_notify();
   CREATE TRIGGER windows_notify AFTER INSERT ON windows FOR EACH STATEMENT EXECUTE FUNCTION withstand_notify();`,
  // Load groups (#16), and one row per window: a write retried after a lost connection (whose first
  // attempt did commit) must not count a window twice.
  `ALTER TABLE runs ADD COLUMN group_name TEXT;
   CREATE INDEX runs_group ON runs (group_name);
   DELETE FROM windows a USING windows b
     WHERE a.id > b.id AND a.run_id = b.run_id AND a.series = b.series AND a.start_ms = b.start_ms;
   DROP INDEX windows_run;
   CREATE UNIQUE INDEX windows_run ON windows (run_id, series, start_ms);`,
  // The feature-flag audit log (#31).
  PG_FLAG_AUDIT,
];

/**
 * A run's lease: renewed every LEASE_RENEW_MS while it runs; expired after LEASE_MS without renewal. The
 * last renewal is also the runner's last sign of life: an interrupted run ended no earlier.
 */
export const LEASE_MS = 10_000;
const LEASE_RENEW_MS = 1000;
/** The advisory lock key migrations take ("withstand" in ASCII, folded to 32 bits). */
const MIGRATION_LOCK = 0x77697468;

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "57P01", // admin_shutdown: the server is restarting
  "57P02",
  "57P03", // cannot_connect_now: still starting
  "08000",
  "08001",
  "08003",
  "08006",
]);

/** Whether an error means the connection, not the statement, failed: worth a retry. */
function transient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code !== undefined && TRANSIENT_CODES.has(e.code)) ||
    /Connection terminated|connection ended|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
      e.message ?? "",
    )
  );
}

/** A store URL as shown in messages: never its password (store/url.ts is the one place that parses). */
export const redactPgUrl = redactStoreUrl;

/** The connection string without withstand's own `schema` parameter, and that schema. */
export function parsePgUrl(url: string): { connectionString: string; schema: string | undefined } {
  const loc = parseStoreLocation(url);
  if (loc.kind !== "postgres") throw new Error("expected a postgres:// URL");
  return { connectionString: loc.connectionString, schema: loc.schema };
}

/** The tail cursor: every transaction below this id has finished, so rows before it never appear later. */
const encodeCursor = (xid: string) => `pg:${xid}`;
const decodeCursor = (c: string | undefined) => (c === undefined ? undefined : /^pg:(\d+)$/.exec(c)?.[1]);

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly ready: Promise<void>;
  private readonly seq = new Map<string, number>();
  private readonly leases = new Set<string>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private reconciledAt = 0;

  private readonly connectionString: string;
  private readonly schema: string | undefined;

  /** The store's URL as shown to people: without its password. */
  readonly url: string;
  /** Hides the URL's password from a driver's message. */
  private readonly scrub: (text: string) => string;

  constructor(
    url: string,
    private readonly options: { migrate: boolean } = { migrate: true },
  ) {
    this.url = redactStoreUrl(url);
    this.scrub = (text) => scrubStoreSecrets(text, url);
    const { connectionString, schema } = parsePgUrl(url);
    this.connectionString = connectionString;
    this.schema = schema;
    this.pool = new pg.Pool({
      connectionString,
      max: 4,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client's error (the server restarted) must not crash the runner; the next query retries.
    this.pool.on("error", () => undefined);
    this.ready = this.init(schema);
    // A failed start is reported by the first call that awaits it, never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private async init(schema: string | undefined): Promise<void> {
    // Only a store that may migrate creates anything: `store status` opens it with migrate: false.
    if (!this.options.migrate) return;
    if (schema) await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await this.migrate();
  }

  /** The applied migration version and the latest this withstand knows. */
  async version(): Promise<{ applied: number; latest: number }> {
    try {
      await this.ready;
      return { applied: await this.applied(), latest: PG_MIGRATIONS.length };
    } catch (err) {
      throw this.failure(err);
    }
  }

  private async applied(): Promise<number> {
    const exists = await this.pool.query<{ t: string | null }>(
      "SELECT to_regclass('withstand_migrations')::text AS t",
    );
    if (!exists.rows[0]?.t) return 0;
    const r = await this.pool.query<{ v: number | null }>(
      "SELECT MAX(version) AS v FROM withstand_migrations",
    );
    return r.rows[0]?.v ?? 0;
  }

  /** Applies the missing migrations under an advisory lock, each in its own transaction. */
  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS withstand_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
      );
      const r = await client.query<{ v: number | null }>(
        "SELECT MAX(version) AS v FROM withstand_migrations",
      );
      let version = r.rows[0]?.v ?? 0;
      const from = version;
      while (version < PG_MIGRATIONS.length) {
        await client.query("BEGIN");
        try {
          await client.query(PG_MIGRATIONS[version] ?? "");
          await client.query("INSERT INTO withstand_migrations (version) VALUES ($1)", [version + 1]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
        version++;
      }
      return version - from;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  /**
   * One statement. A lost connection (the server restarting, a failover) is retried with backoff for up
   * to WITHSTAND_STORE_RETRY_MS (30 s); meanwhile the run's recorder keeps its later writes queued in
   * order. What still fails is an error naming the store, never a silently missing part.
   */
  private async q<R extends pg.QueryResultRow>(
    sql: string,
    args: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    // A store that cannot be reached at the start fails at once: the user is told before anything runs.
    await this.ready.catch((err: unknown) => {
      throw this.failure(err);
    });
    const deadline = Date.now() + Number(process.env.WITHSTAND_STORE_RETRY_MS ?? 30_000);
    for (let delay = 100, attempt = 0; ; delay = Math.min(2000, delay * 2), attempt++) {
      try {
        return await this.pool.query<R>(sql, args);
      } catch (err) {
        // An insert whose commit was acknowledged to nobody (the connection dropped) may be there already.
        if (attempt > 0 && (err as { code?: string }).code === "23505" && /^INSERT INTO events/.test(sql))
          return { rows: [], rowCount: 0 } as unknown as pg.QueryResult<R>;
        if (!transient(err) || Date.now() + delay > deadline) throw this.failure(err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** A store that cannot be reached or used is the user's to fix (exit 2), named without its password. */
  private failure(err: unknown): Error {
    if (err instanceof WithstandError) return err;
    const e = err as NodeJS.ErrnoException & { code?: string };
    const unreachable =
      e.code === "ECONNREFUSED" ||
      e.code === "ENOTFOUND" ||
      e.code === "ETIMEDOUT" ||
      e.code === "EHOSTUNREACH";
    const what = unreachable
      ? `cannot reach the PostgreSQL store: ${e.message}`
      : `PostgreSQL store: ${e.message}`;
    return new WithstandError(
      unreachable ? "WS_STORE_UNREACHABLE" : "WS_STORE",
      `--store ${this.url}: ${this.scrub(what)}`,
      EXIT.invalid,
      { cause: err },
    );
  }

  /** Keeps the leases of the runs this process writes; a SIGKILLed runner's leases simply run out. */
  private renewLeases(): void {
    if (this.leaseTimer || this.leases.size === 0) return;
    this.leaseTimer = setInterval(() => {
      if (this.leases.size === 0) return;
      this.pool
        .query("UPDATE runs SET lease_until = $1 WHERE id = ANY($2) AND status = 'running'", [
          Date.now() + LEASE_MS,
          [...this.leases],
        ])
        .catch(() => undefined);
    }, LEASE_RENEW_MS);
    this.leaseTimer.unref();
  }

  /**
   * A running run is interrupted when its lease ran out (any machine), or when its runner on this
   * machine is gone (at once, without waiting for the lease). Every reader calls this.
   */
  private async markInterrupted(): Promise<void> {
    const now = Date.now();
    if (now - this.reconciledAt < 500) return;
    this.reconciledAt = now;
    const rows = (
      await this.q<RunRow>(
        "SELECT id, runner_pid, runner_host, runner_starttime, lease_until FROM runs WHERE status = 'running'",
      )
    ).rows;
    const host = hostname();
    const gone = rows.filter((row) => {
      if (this.leases.has(row.id)) return false;
      if (row.lease_until !== null && Number(row.lease_until) < now) return true;
      if (row.runner_host !== host) return false;
      return row.runner_starttime === null
        ? !isAlive(row.runner_pid)
        : !sameProcess({ pid: row.runner_pid, starttime: Number(row.runner_starttime) });
    });
    if (gone.length === 0) return;
    for (const g of gone) {
      const signs = (
        await this.q<{ ts: string | null; w: string | null; started_at: string; lease_until: string | null }>(
          `SELECT (SELECT MAX(ts) FROM events WHERE run_id = $1) AS ts,
                  (SELECT MAX(end_ms) FROM windows WHERE run_id = $1) AS w, started_at, lease_until
             FROM runs WHERE id = $1`,
          [g.id],
        )
      ).rows[0];
      if (!signs) continue;
      const renewed = signs.lease_until === null ? null : Number(signs.lease_until) - LEASE_MS;
      await this.q(
        `UPDATE runs SET status = 'interrupted', outcome = 'interrupted', exit_code = 3, ended_at = $2
         WHERE id = $1 AND status = 'running'`,
        [g.id, interruptedEnd(signs.started_at, [signs.ts, signs.w, renewed])],
      );
    }
  }

  async beginRun(run: RunStart): Promise<void> {
    await this.q(
      `INSERT INTO runs (id, kind, title, source, status, started_at, runner_pid, runner_host, runner_starttime, lease_until, group_name)
       VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10)`,
      [
        storable(run.id),
        storable(run.kind),
        storable(run.title),
        storable(run.source),
        run.startedAt,
        process.pid,
        hostname(),
        starttimeOf(process.pid) ?? null,
        Date.now() + LEASE_MS,
        run.group === undefined ? null : storable(run.group),
      ],
    );
    this.seq.set(run.id, 0);
    this.leases.add(run.id);
    this.renewLeases();
  }

  async appendEvent(event: RunEvent): Promise<void> {
    const seq = (this.seq.get(event.runId) ?? 0) + 1;
    this.seq.set(event.runId, seq);
    await this.q("INSERT INTO events (run_id, seq, ts, type, data) VALUES ($1, $2, $3, $4, $5)", [
      event.runId,
      seq,
      event.ts,
      event.type,
      JSON.stringify(event),
    ]);
  }

  async appendWindow(runId: string, series: string, window: StoredWindow): Promise<void> {
    await this.q(
      "INSERT INTO windows (run_id, series, start_ms, end_ms, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
      [
        runId,
        series,
        // Windows closed early (the end of a run) end at a fractional millisecond.
        Math.floor(window.start),
        Math.ceil(window.end),
        JSON.stringify(window),
      ],
    );
  }

  async windowsAfter(runId: string, series: string, afterStartMs: number): Promise<StoredWindow[]> {
    const r = await this.q<{ data: string }>(
      "SELECT data FROM windows WHERE run_id = $1 AND series = $2 AND start_ms > $3 ORDER BY start_ms",
      [runId, series, Math.floor(afterStartMs)],
    );
    return r.rows.map((row) => JSON.parse(row.data) as StoredWindow);
  }

  async finishRun(runId: string, end: RunEnd): Promise<void> {
    await this.q(
      `UPDATE runs SET status = $1, deviated = $2, outcome = $3, exit_code = $4, ended_at = $5,
         duration_ms = $6, journal = $7, lease_until = NULL WHERE id = $8`,
      [
        end.status,
        end.deviated,
        end.outcome,
        end.exitCode,
        end.endedAt,
        Math.round(end.durationMs),
        JSON.stringify(end.result),
        runId,
      ],
    );
    this.leases.delete(runId);
  }

  private where(filter: RunFilter): { sql: string; args: unknown[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.status) where.push(`status = ${arg(storable(filter.status))}`);
    if (filter.outcome) where.push(`outcome = ${arg(storable(filter.outcome))}`);
    if (filter.idPrefix) where.push(`id LIKE ${arg(likeStartingWith(filter.idPrefix))} ESCAPE '\\'`);
    if (filter.kind) where.push(`kind = ${arg(storable(filter.kind))}`);
    if (filter.group) where.push(`group_name = ${arg(storable(filter.group))}`);
    if (filter.search) {
      // ILIKE: a search ignores case, as SQLite's LIKE does.
      const like = arg(likeContaining(filter.search));
      where.push(
        `(id ILIKE ${like} ESCAPE '\\' OR title ILIKE ${like} ESCAPE '\\' OR source ILIKE ${like} ESCAPE '\\')`,
      );
    }
    return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    await this.markInterrupted();
    const { sql, args } = this.where(filter);
    const rows = await this.q<RunRow>(
      `SELECT * FROM runs ${sql} ORDER BY started_at DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, pageOf(filter).limit, pageOf(filter).offset],
    );
    return rows.rows.map(runSummary);
  }

  async countRuns(filter: RunFilter = {}): Promise<number> {
    await this.markInterrupted();
    const { sql, args } = this.where(filter);
    return Number(
      (await this.q<{ n: string }>(`SELECT COUNT(*) AS n FROM runs ${sql}`, args)).rows[0]?.n ?? 0,
    );
  }

  /**
   * Rows committed since the cursor. Ids of concurrent writers do not commit in order, so the cursor is
   * a transaction horizon: a batch holds the rows of every transaction below the oldest one still
   * running, which can never gain a row afterwards.
   */
  async tail(cursor?: string, limit = 2000): Promise<StoreTail> {
    const horizon = (await this.q<{ x: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x"))
      .rows[0]?.x as string;
    const from = decodeCursor(cursor);
    if (from === undefined) return { cursor: encodeCursor(horizon), events: [], windows: [] };
    let rows = await this.rowsBetween(from, horizon, limit);
    // A batch cut by the limit resumes at the first transaction it did not finish...
    const full = [
      rows.events.length === limit ? rows.events.at(-1)?.x : undefined,
      rows.windows.length === limit ? rows.windows.at(-1)?.x : undefined,
    ].filter((x): x is string => x !== undefined);
    let next = horizon;
    if (full.length > 0) {
      const cut = full.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0] as bigint;
      if (cut === BigInt(from)) {
        // ...unless that first transaction alone fills the batch (a copied run): then it comes whole.
        rows = await this.rowsBetween(from, String(cut + 1n), Number.MAX_SAFE_INTEGER);
        next = String(cut + 1n);
      } else {
        rows = {
          events: rows.events.filter((r) => BigInt(r.x) < cut),
          windows: rows.windows.filter((r) => BigInt(r.x) < cut),
        };
        next = String(cut);
      }
    }
    return {
      cursor: encodeCursor(next),
      events: rows.events.map((e) => JSON.parse(e.data) as RunEvent),
      windows: rows.windows.map((w) => ({
        ...(JSON.parse(w.data) as StoredWindow),
        series: w.series,
        runId: w.run_id,
      })),
    };
  }

  /** Events and windows of the transactions in [from, to), in commit-safe order. */
  private async rowsBetween(
    from: string,
    to: string,
    limit: number,
  ): Promise<{
    events: { x: string; data: string }[];
    windows: { x: string; run_id: string; series: string; data: string }[];
  }> {
    const events = (
      await this.q<{ x: string; data: string }>(
        "SELECT e.xid::text AS x, e.data FROM events e WHERE e.xid >= $1::xid8 AND e.xid < $2::xid8 ORDER BY e.xid, e.id LIMIT $3",
        [from, to, limit],
      )
    ).rows;
    const windows = (
      await this.q<{ x: string; run_id: string; series: string; data: string }>(
        "SELECT w.xid::text AS x, w.run_id, w.series, w.data FROM windows w WHERE w.xid >= $1::xid8 AND w.xid < $2::xid8 ORDER BY w.xid, w.id LIMIT $3",
        [from, to, limit],
      )
    ).rows;
    return { events, windows };
  }

  async getRun(idOrPrefix: string): Promise<RunDetail | undefined> {
    await this.markInterrupted();
    const rows = (
      await this.q<RunRow>(
        // The exact id first: "run-1" must not be lost behind "run-10" and "run-11", started later.
        "SELECT * FROM runs WHERE id = $1 OR id LIKE $2 ESCAPE '\\' ORDER BY (id = $1) DESC, started_at DESC LIMIT 2",
        [storable(idOrPrefix), likeStartingWith(idOrPrefix)],
      )
    ).rows;
    const row = rows.find((r) => r.id === storable(idOrPrefix)) ?? (rows.length === 1 ? rows[0] : undefined);
    if (!row) return undefined;
    const events = (
      await this.q<{ data: string }>("SELECT data FROM events WHERE run_id = $1 ORDER BY seq", [row.id])
    ).rows;
    const windows = (
      await this.q<{ series: string; data: string }>(
        "SELECT series, data FROM windows WHERE run_id = $1 ORDER BY series, start_ms, id",
        [row.id],
      )
    ).rows;
    return runDetail(row, events, windows);
  }

  async importRun(run: RunDetail): Promise<boolean> {
    await this.ready.catch((err: unknown) => {
      throw this.failure(err);
    });
    const client = await this.pool.connect().catch((err: unknown) => {
      throw this.failure(err);
    });
    try {
      await client.query("BEGIN");
      const r = await client.query(
        `INSERT INTO runs (id, kind, title, source, status, deviated, outcome, exit_code, started_at, ended_at, duration_ms, runner_pid, runner_host, journal, group_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 'imported', $12, $13) ON CONFLICT (id) DO NOTHING`,
        [
          storable(run.id),
          storable(run.kind),
          storable(run.title),
          storable(run.source),
          run.status,
          run.deviated,
          run.outcome,
          run.exitCode,
          run.startedAt,
          run.endedAt,
          run.durationMs === null ? null : Math.round(run.durationMs),
          run.result === null ? null : JSON.stringify(run.result),
          run.group,
        ],
      );
      if (r.rowCount === 0) {
        await client.query("ROLLBACK");
        return false;
      }
      for (const [i, e] of run.events.entries())
        await client.query("INSERT INTO events (run_id, seq, ts, type, data) VALUES ($1, $2, $3, $4, $5)", [
          run.id,
          i + 1,
          e.ts,
          e.type,
          JSON.stringify(e),
        ]);
      for (const { series, ...w } of run.windows)
        await client.query(
          "INSERT INTO windows (run_id, series, start_ms, end_ms, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
          [run.id, series, Math.floor(w.start), Math.ceil(w.end), JSON.stringify(w)],
        );
      await client.query("COMMIT");
      return true;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.failure(err);
    } finally {
      client.release();
    }
  }

  async windowsBetween(series: string, fromMs: number, toMs: number): Promise<StoredWindow[]> {
    const rows =
      series === "*"
        ? await this.q<{ data: string }>(
            "SELECT data FROM windows WHERE start_ms >= $1 AND start_ms < $2 ORDER BY start_ms, id",
            [fromMs, toMs],
          )
        : await this.q<{ data: string }>(
            "SELECT data FROM windows WHERE series = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms, id",
            [series, fromMs, toMs],
          );
    return rows.rows.map((r) => JSON.parse(r.data) as StoredWindow);
  }

  /**
   * LISTEN on a connection of its own; a lost connection is re-established with backoff (readers keep
   * their slow poll meanwhile, so nothing is missed, only later).
   */
  async watch(onChange: () => void): Promise<() => Promise<void>> {
    await this.ready.catch((err: unknown) => {
      throw this.failure(err);
    });
    const wanted = this.schema ?? (await this.q<{ s: string }>("SELECT current_schema() AS s")).rows[0]?.s;
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (delayMs: number): Promise<void> => {
      if (stopped) return;
      const c = new pg.Client({
        connectionString: this.connectionString,
        ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
      });
      const again = () => {
        if (stopped || client !== c) return;
        client = undefined;
        c.end().catch(() => undefined);
        retry = setTimeout(() => void connect(Math.min(10_000, delayMs * 2)), delayMs);
        retry.unref();
      };
      c.on("error", again);
      c.on("end", again);
      c.on("notification", (n) => {
        if (n.channel === "withstand" && n.payload === wanted) onChange();
      });
      client = c;
      try {
        await c.connect();
        await c.query("LISTEN withstand");
        // Whatever was written while the channel was down is picked up by one read now.
        onChange();
      } catch {
        again();
      }
    };
    await connect(250);
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  async recordFlagChange(change: FlagChange): Promise<void> {
    await this.q(
      "INSERT INTO flag_changes (ts, server, flag, actor, before, after, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      flagChangeRow(change),
    );
  }

  async flagChanges(filter: FlagChangeFilter = {}): Promise<FlagChange[]> {
    const q = flagChangeQuery(filter, (i) => `$${i}`);
    return (await this.q<FlagChangeRow & pg.QueryResultRow>(q.sql, q.args)).rows.map(flagChangeOf);
  }

  async close(): Promise<void> {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}
