/**
 * bench/live-store: how fast `serve` shows an event another runner wrote, side by side: the SQLite
 * store (serve polls its tail every 400 ms) and the PostgreSQL store (LISTEN/NOTIFY wakes serve). A
 * writer process appends BENCH_EVENTS events at 20 a second; the bench reads serve's SSE stream and
 * records, per event, the time from the write to its arrival. Goal: PostgreSQL p99 under 200 ms.
 * Needs PostgreSQL (`make test` installs it); the server is started in a temporary directory.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../src/server/server.js";
import { openStore } from "../src/store/open.js";
import { startPostgres } from "../test/helpers/postgres.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
const OPEN = fileURLToPath(new URL("../src/store/open.js", import.meta.url));

async function measure(location: string): Promise<number[]> {
  const store = openStore(location);
  const server = await startServer({ host: "127.0.0.1", port: 0, sloFiles: [], store });
  const latencies: number[] = [];
  try {
    const res = await fetch(`${server.url}/api/events`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const reading = (async () => {
      let buffer = "";
      while (latencies.length < EVENTS) {
        const { value, done } = await reader.read();
        if (done) break;
        const now = Date.now();
        buffer += decoder.decode(value);
        for (const m of buffer.matchAll(/"message":"sent (\d+)"/g)) latencies.push(now - Number(m[1]));
        buffer = buffer.slice(buffer.lastIndexOf("\n"));
      }
    })();
    const writer = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { openStore } from ${JSON.stringify(OPEN)};
const store = openStore(${JSON.stringify(location)});
await store.beginRun({ id: "bench", kind: "load", title: "t", source: "s", startedAt: new Date().toISOString() });
for (let i = 0; i < ${EVENTS}; i++) {
  await new Promise((r) => setTimeout(r, 50));
  await store.appendEvent({ type: "warning", runId: "bench", ts: new Date().toISOString(), message: "sent " + Date.now() });
}
await store.close();`,
      ],
      { stdio: "inherit" },
    );
    await new Promise((r) => writer.on("close", r));
    await reading;
    await reader.cancel();
  } finally {
    await server.close();
    await store.close();
  }
  return latencies.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;
const postgres = await startPostgres();
try {
  const sqlite = await measure(join(mkdtempSync(join(tmpdir(), "withstand-live-")), "s.db"));
  const pg = await measure(postgres.freshStore());
  console.log(`event written by another process -> SSE frame in serve, ${EVENTS} events at 20/s`);
  console.log(`  SQLite (poll every 400 ms):      p50 ${pct(sqlite, 50)} ms, p99 ${pct(sqlite, 99)} ms`);
  console.log(
    `  PostgreSQL (LISTEN/NOTIFY):      p50 ${pct(pg, 50)} ms, p99 ${pct(pg, 99)} ms (goal p99 < 200 ms: ${pct(pg, 99) < 200 ? "OK" : "OVER"})`,
  );
  console.log(`  p99 ratio PostgreSQL / SQLite:   ${(pct(pg, 99) / pct(sqlite, 99)).toFixed(2)}`);
} finally {
  postgres.stop();
}
