/**
 * bench/pg-scale: the PostgreSQL store under a team's load, on a server of its own.
 * 1. BENCH_RUNNERS (20) runner processes each write 10 windows and 20 events a second for
 *    BENCH_SECONDS (60): every row is counted afterwards and each run's events checked in order.
 * 2. 100,000 finished runs: the time to read a page of the run list (newest first) and its count,
 *    side by side with the same page from a SQLite store of the same size.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore } from "../src/store/open.js";
import { parsePgUrl } from "../src/store/postgres.js";
import { startPostgres } from "../test/helpers/postgres.js";

const RUNNERS = Number(process.env.BENCH_RUNNERS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const OPEN = fileURLToPath(new URL("../src/store/open.js", import.meta.url));
const postgres = await startPostgres();

async function concurrentRunners(location: string): Promise<void> {
  const t0 = Date.now();
  const codes = await Promise.all(
    Array.from({ length: RUNNERS }, (_, r) => {
      const child = spawn(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `import { openStore } from ${JSON.stringify(OPEN)};
const store = openStore(${JSON.stringify(location)});
const id = "runner-${r}";
await store.beginRun({ id, kind: "load", title: id, source: "bench", startedAt: new Date().toISOString() });
const w = { start: 0, end: 1000, count: 100, errors: 0, errorClasses: {}, statusCodes: { 200: 100 }, latency: "HISTFAAAACR4nJNpmSzMwMDAwQABMBqEGZlmdn4DMcYBRAAARAgDeA==", service: "", dropped: 0, late: 0, labels: {} };
let e = 0;
for (let s = 0; s < ${SECONDS}; s++) {
  const tick = Date.now();
  for (let i = 0; i < 20; i++) await store.appendEvent({ type: "warning", runId: id, ts: new Date().toISOString(), message: String(e++) });
  for (let i = 0; i < 10; i++) await store.appendWindow(id, "load:" + i, { ...w, start: s * 1000, end: s * 1000 + 1000 });
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
}
await store.finishRun(id, { status: "completed", deviated: false, outcome: "passed", exitCode: 0, endedAt: new Date().toISOString(), durationMs: ${SECONDS * 1000}, result: null });
await store.close();`,
        ],
        { stdio: "inherit" },
      );
      return new Promise<number | null>((resolve) => child.on("close", resolve));
    }),
  );
  const store = openStore(location);
  let lost = 0;
  let disordered = 0;
  for (let r = 0; r < RUNNERS; r++) {
    const run = await store.getRun(`runner-${r}`);
    const messages = (run?.events ?? []).map((e) => (e.type === "warning" ? Number(e.message) : -1));
    const lostHere = SECONDS * 20 - messages.length + (SECONDS * 10 - (run?.windows.length ?? 0));
    if (lostHere !== 0 && process.env.BENCH_DEBUG)
      console.log(`runner-${r}: ${messages.length} events, ${run?.windows.length} windows`);
    lost += lostHere;
    if (messages.some((m, i) => m !== i)) disordered++;
  }
  await store.close();
  console.log(
    `${RUNNERS} runners x ${SECONDS}s, 20 events + 10 windows a second each (${RUNNERS * SECONDS * 30} rows) in ${((Date.now() - t0) / 1000).toFixed(0)}s: exit codes ${[...new Set(codes)].join(",")}, rows lost ${lost}, runs with events out of order ${disordered}`,
  );
}

async function timePages(name: string, page: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await page();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const p50 = samples[10] ?? 0;
  console.log(
    `  ${name}: a page of 50 runs and the count, p50 ${p50.toFixed(1)} ms, max ${samples.at(-1)?.toFixed(1)} ms`,
  );
  return p50;
}

async function runList(): Promise<void> {
  const pgLocation = postgres.freshStore();
  const pgStore = openStore(pgLocation);
  await pgStore.countRuns();
  const { connectionString, schema } = parsePgUrl(pgLocation);
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  await client.query(
    `INSERT INTO runs (id, kind, title, source, status, outcome, exit_code, started_at, ended_at, duration_ms, runner_pid, runner_host)
     SELECT 'run-' || g, 'experiment', 'title ' || g, 'bench', 'completed', 'held', 0,
            to_char(timestamp '2026-01-01' + g * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), NULL, 1000, 0, 'bench'
     FROM generate_series(1, $1) g`,
    [RUNS],
  );
  await client.query("ANALYZE runs");
  await client.end();
  const sqlitePath = join(mkdtempSync(join(tmpdir(), "withstand-scale-")), "s.db");
  openStore(sqlitePath)
    .close()
    .catch(() => undefined);
  const db = new Database(sqlitePath);
  const insert = db.prepare(
    "INSERT INTO runs (id, kind, title, source, status, outcome, exit_code, started_at, duration_ms, runner_pid, runner_host) VALUES (?, 'experiment', ?, 'bench', 'completed', 'held', 0, ?, 1000, 0, 'bench')",
  );
  db.transaction(() => {
    for (let g = 1; g <= RUNS; g++)
      insert.run(`run-${g}`, `title ${g}`, new Date(Date.UTC(2026, 0, 1) + g * 1000).toISOString());
  })();
  db.close();
  const sqliteStore = openStore(sqlitePath);
  console.log(`${RUNS.toLocaleString("en")} runs:`);
  const pgMs = await timePages("PostgreSQL", () =>
    Promise.all([pgStore.listRuns({ limit: 50 }), pgStore.countRuns()]),
  );
  const sqMs = await timePages("SQLite    ", () =>
    Promise.all([sqliteStore.listRuns({ limit: 50 }), sqliteStore.countRuns()]),
  );
  console.log(
    `  ratio PostgreSQL / SQLite: ${(pgMs / sqMs).toFixed(2)} (goal: PostgreSQL under 300 ms: ${pgMs < 300 ? "OK" : "OVER"})`,
  );
  await pgStore.close();
  await sqliteStore.close();
}

try {
  await concurrentRunners(postgres.freshStore());
  await runList();
} finally {
  postgres.stop();
}
