import { SQLITE_FLAG_AUDIT } from "./flag-audit.js";

/** Schema migrations, applied in order; PRAGMA user_version records how far a database got. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     title TEXT NOT NULL,
     source TEXT NOT NULL,
     status TEXT NOT NULL,
     deviated INTEGER NOT NULL DEFAULT 0,
     outcome TEXT,
     exit_code INTEGER,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     duration_ms INTEGER,
     runner_pid INTEGER NOT NULL,
     runner_host TEXT NOT NULL,
     journal TEXT
   );
   CREATE INDEX runs_started ON runs(started_at DESC);
   CREATE TABLE events (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     ts TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE windows (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     series TEXT NOT NULL,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX windows_run ON windows(run_id, series, start_ms);`,
  // The runner's start time: with its pid it tells a live runner from a reused pid (#12 item 7).
  `ALTER TABLE runs ADD COLUMN runner_starttime INTEGER;
   CREATE INDEX runs_status ON runs(status);`,
  // Load groups (#16), and one row per window: a retried write must not count a window twice.
  `ALTER TABLE runs ADD COLUMN group_name TEXT;
   CREATE INDEX runs_group ON runs(group_name);
   DELETE FROM windows WHERE rowid NOT IN (SELECT MIN(rowid) FROM windows GROUP BY run_id, series, start_ms);
   DROP INDEX windows_run;
   CREATE UNIQUE INDEX windows_run ON windows(run_id, series, start_ms);`,
  // The feature-flag audit log (#31).
  SQLITE_FLAG_AUDIT,
  // The runner's last heartbeat (ms), renewed every second: an interrupted run ended no earlier (#25).
  `ALTER TABLE runs ADD COLUMN seen_at INTEGER;`,
];
