/**
 * The audit log of feature-flag changes (`withstand flags serve` writes it, `withstand flags log`
 * reads it): who changed which flag, from what to what, when and why. One table per dialect, added by
 * a migration of its own in each adapter.
 */
export interface FlagChange {
  /** ISO time of the change. */
  ts: string;
  /** The flag server that made it: its name (default: its address). */
  server: string;
  flag: string;
  /** The token's name for an API change, "file" for an edited flag file, "lease" for an expired lease. */
  actor: string;
  /** The flag's switchable part before and after (state, default variant, fractional weights). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string;
}

export interface FlagChangeFilter {
  flag?: string | undefined;
  server?: string | undefined;
  /** Newest first; at most this many (default 100). */
  limit?: number | undefined;
}

/** The audit table in each dialect: they differ only in how the id counts up. */
const flagAuditTable = (id: string) => `CREATE TABLE flag_changes (
     id ${id},
     ts TEXT NOT NULL,
     server TEXT NOT NULL,
     flag TEXT NOT NULL,
     actor TEXT NOT NULL,
     before TEXT,
     after TEXT,
     reason TEXT NOT NULL
   );
   CREATE INDEX flag_changes_flag ON flag_changes (flag, id);`;

export const SQLITE_FLAG_AUDIT = flagAuditTable("INTEGER PRIMARY KEY AUTOINCREMENT");
export const PG_FLAG_AUDIT = flagAuditTable("BIGSERIAL PRIMARY KEY");

export interface FlagChangeRow {
  ts: string;
  server: string;
  flag: string;
  actor: string;
  before: string | null;
  after: string | null;
  reason: string;
}

export function flagChangeRow(c: FlagChange): unknown[] {
  return [
    c.ts,
    c.server,
    c.flag,
    c.actor,
    c.before === null ? null : JSON.stringify(c.before),
    c.after === null ? null : JSON.stringify(c.after),
    c.reason,
  ];
}

export function flagChangeOf(r: FlagChangeRow): FlagChange {
  return {
    ts: r.ts,
    server: r.server,
    flag: r.flag,
    actor: r.actor,
    before: r.before === null ? null : (JSON.parse(r.before) as Record<string, unknown>),
    after: r.after === null ? null : (JSON.parse(r.after) as Record<string, unknown>),
    reason: r.reason,
  };
}

/** The WHERE clause and arguments of a filter; `param(i)` spells the i-th placeholder of the dialect. */
export function flagChangeQuery(
  f: FlagChangeFilter,
  param: (i: number) => string,
): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.flag !== undefined) {
    args.push(f.flag);
    where.push(`flag = ${param(args.length)}`);
  }
  if (f.server !== undefined) {
    args.push(f.server);
    where.push(`server = ${param(args.length)}`);
  }
  args.push(Math.max(1, Math.min(10_000, f.limit ?? 100)));
  const sql = `SELECT ts, server, flag, actor, before, after, reason FROM flag_changes${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${param(args.length)}`;
  return { sql, args };
}
