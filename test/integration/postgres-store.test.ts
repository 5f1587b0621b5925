import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { startServer } from "../../src/server/server.js";
import { openStore } from "../../src/store/open.js";
import { PG_MIGRATIONS, parsePgUrl } from "../../src/store/postgres.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";
import { startPostgres } from "../helpers/postgres.js";

const postgres = await startPostgres();
after(() => postgres.stop());

const OPEN = join(ROOT, "dist", "src", "store", "open.js");
function inChild(location: string, body: string): Promise<number | null> {
  const script = `import { openStore } from ${JSON.stringify(OPEN)};\nconst store = openStore(${JSON.stringify(location)});\n${body}\nawait store.close();`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  return new Promise((resolve) => child.on("close", resolve));
}

/** A plain client on the store's schema, to look at the rows themselves. */
async function sql<T extends pg.QueryResultRow>(
  location: string,
  text: string,
  args: unknown[] = [],
): Promise<T[]> {
  const { connectionString, schema } = parsePgUrl(location);
  const client = new pg.Client({
    connectionString,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    return (await client.query<T>(text, args)).rows;
  } finally {
    await client.end();
  }
}

describe("the PostgreSQL store", () => {
  it("applies each migration once when several runners open a new store at the same time", async () => {
    const location = postgres.freshStore();
    const codes = await Promise.all(
      Array.from({ length: 6 }, () =>
        inChild(location, `const v = await store.version(); if (v.applied !== v.latest) process.exit(9);`),
      ),
    );
    assert.deepEqual(codes, Array(6).fill(0));
    const rows = await sql<{ version: number }>(
      location,
      "SELECT version FROM withstand_migrations ORDER BY version",
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      PG_MIGRATIONS.map((_, i) => i + 1),
    );
  });

  it("shows a run from another machine as interrupted once its lease runs out, and not before", async () => {
    const location = postgres.freshStore();
    const store = openStore(location);
    try {
      for (const id of ["expired", "fresh"])
        await store.beginRun({
          id,
          kind: "load",
          title: id,
          source: "s",
          startedAt: new Date().toISOString(),
        });
      // As if other machines' runners wrote them: one stopped renewing a while ago, one renews still.
      await sql(
        location,
        "UPDATE runs SET runner_host = 'elsewhere', lease_until = $1 WHERE id = 'expired'",
        [Date.now() - 1],
      );
      await sql(location, "UPDATE runs SET runner_host = 'elsewhere', lease_until = $1 WHERE id = 'fresh'", [
        Date.now() + 60_000,
      ]);
      const reader = openStore(location);
      try {
        assert.equal((await reader.getRun("expired"))?.status, "interrupted");
        assert.equal((await reader.getRun("fresh"))?.status, "running");
      } finally {
        await reader.close();
      }
    } finally {
      await store.close();
    }
  });

  it("tails what concurrent writers commit, each event exactly once and in order per run", async () => {
    const location = postgres.freshStore();
    const reader = openStore(location);
    try {
      let { cursor } = await reader.tail();
      const seen: string[] = [];
      const writers = 4;
      const events = 120;
      const writing = Promise.all(
        Array.from({ length: writers }, (_, w) =>
          inChild(
            location,
            `const id = "w${w}";
await store.beginRun({ id, kind: "load", title: id, source: "s", startedAt: new Date().toISOString() });
for (let i = 0; i < ${events}; i++) await store.appendEvent({ type: "warning", runId: id, ts: new Date().toISOString(), message: String(i) });`,
          ),
        ),
      );
      let done = false;
      void writing.then(() => {
        done = true;
      });
      for (;;) {
        const finished = done;
        const t = await reader.tail(cursor, 50);
        cursor = t.cursor;
        for (const e of t.events) if (e.type === "warning") seen.push(`${e.runId}:${e.message}`);
        if (finished && t.events.length === 0) break;
      }
      assert.deepEqual(await writing, Array(writers).fill(0));
      assert.equal(seen.length, writers * events, "nothing lost, nothing twice");
      assert.equal(new Set(seen).size, seen.length);
      for (let w = 0; w < writers; w++)
        assert.deepEqual(
          seen.filter((s) => s.startsWith(`w${w}:`)).map((s) => Number(s.split(":")[1])),
          Array.from({ length: events }, (_, i) => i),
        );
    } finally {
      await reader.close();
    }
  });
});

describe("withstand with --store postgres://", () => {
  it("records a run, lists it, reports the schema, and copies a SQLite history across, idempotently", async () => {
    const { dir, env } = isolatedEnv();
    const location = postgres.freshStore();
    const file = join(dir, "noop.yaml");
    writeFileSync(
      file,
      'apiVersion: withstand/v1\nkind: Experiment\nmetadata: {name: noop}\nspec:\n  method:\n    - {type: action, name: noop, provider: {type: process, path: "true"}}\n',
    );
    const run = await runCli(["run", file, "--store", location, "--json"], { env });
    assert.equal(run.code, 0, run.stderr);
    const listed = JSON.parse((await runCli(["runs", "--store", location, "--json"], { env })).stdout) as {
      runs: { outcome: string }[];
    };
    assert.deepEqual(
      listed.runs.map((r) => r.outcome),
      ["held"],
    );
    const status = await runCli(["store", "status", "--store", location], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /^PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?schema=\w+: schema version (\d+) of \1, 1 runs \(0 running\)/,
    );
    // A SQLite history of two runs, copied twice: the second copy adds nothing.
    const sqlite = join(dir, "history.db");
    for (let i = 0; i < 2; i++)
      assert.equal((await runCli(["run", file, "--store", sqlite], { env })).code, 0);
    const first = JSON.parse(
      (await runCli(["store", "copy", "--from", sqlite, "--to", location, "--json"], { env })).stdout,
    );
    assert.deepEqual([first.copied, first.alreadyThere], [2, 0]);
    const again = JSON.parse(
      (await runCli(["store", "copy", "--from", sqlite, "--to", location, "--json"], { env })).stdout,
    );
    assert.deepEqual([again.copied, again.alreadyThere], [0, 2]);
    const copied = JSON.parse((await runCli(["runs", "--store", location, "--json"], { env })).stdout) as {
      runs: { id: string }[];
    };
    assert.equal(copied.runs.length, 3);
    const show = JSON.parse(
      (await runCli(["runs", "show", copied.runs[0]?.id ?? "", "--store", location, "--json"], { env }))
        .stdout,
    );
    assert.ok(show.events.length > 0, "events come along");
  });
});

describe("serve follows a PostgreSQL store through LISTEN/NOTIFY", () => {
  it("streams an event written by another process to the browser's SSE stream", async () => {
    const location = postgres.freshStore();
    const store = openStore(location);
    const server = await startServer({ host: "127.0.0.1", port: 0, sloFiles: [], store });
    try {
      const res = await fetch(`${server.url}/api/events`);
      assert.equal(res.status, 200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      const arrived = (async () => {
        const decoder = new TextDecoder();
        while (!text.includes("hello-live")) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
      })();
      const code = await inChild(
        location,
        `await store.beginRun({ id: "live", kind: "load", title: "t", source: "s", startedAt: new Date().toISOString() });
await store.appendEvent({ type: "warning", runId: "live", ts: new Date().toISOString(), message: "hello-live" });
await store.finishRun("live", { status: "completed", deviated: false, outcome: "passed", exitCode: 0, endedAt: new Date().toISOString(), durationMs: 1, result: null });`,
      );
      assert.equal(code, 0);
      await arrived;
      assert.match(text, /event: run-event\ndata: \{[^\n]*"message":"hello-live"/);
      await reader.cancel();
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe("a PostgreSQL restart during a run", () => {
  it("loses nothing: the run completes with every window stored, though the server was down for 2.5 s", async () => {
    const { env } = isolatedEnv();
    const location = postgres.freshStore();
    const target = createServer((_q, res) => res.end("ok"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
      const runner = startCli(
        ["load", url, "--rate", "50/s", "--duration", "6s", "--store", location, "--json"],
        { env },
      );
      const done = finished(runner);
      await waitForOutput(runner, '"type":"load-window"');
      // Down for 2.5 s: windows and events written meanwhile are retried until it is back.
      postgres.restart(2500);
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      const store = openStore(location);
      try {
        const [run] = await store.listRuns();
        const detail = await store.getRun(run?.id ?? "");
        const stored = (detail?.windows ?? []).reduce((n, w) => n + w.count, 0);
        const result = detail?.result as
          | { metrics: { http_reqs: { values: { count: number } } } }
          | undefined;
        const sent = result?.metrics.http_reqs.values.count;
        assert.equal(detail?.status, "completed");
        assert.equal(stored, sent, "every request is in a stored window");
        assert.ok((detail?.windows.length ?? 0) >= 6);
      } finally {
        await store.close();
      }
    } finally {
      target.close();
    }
  });
});
