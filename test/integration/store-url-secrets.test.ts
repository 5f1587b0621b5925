/**
 * A store URL's password never reaches a person's screen: not on serve's start-up line, not in
 * `store status`, not in an authentication error, whether it is in the user info (even with an
 * unencoded `@`) or in a `password` query parameter. Against a real PostgreSQL that asks for it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startPostgres } from "../helpers/postgres.js";

const PASSWORD = "Kq7@Zx9Vw2pL";
const postgres = await startPostgres({ password: PASSWORD });
after(() => postgres.stop());
const port = /:(\d+)\//.exec(postgres.url)?.[1] ?? "";

/** Every piece of a password that must never be shown: whole, and each side of its `@`. */
function assertHidden(text: string, password: string): void {
  for (const piece of [password, ...password.split("@"), encodeURIComponent(password)])
    assert.ok(!text.includes(piece), `${JSON.stringify(piece)} shown in:\n${text}`);
}

describe("store URLs never show their password", () => {
  it("serve's start-up line names the PostgreSQL store without the password (unencoded @), not as a file path", async () => {
    const { env } = isolatedEnv();
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres?schema=serve_${process.pid}`;
    const child = startCli(["serve", "--port", "0", "--store", url], { env });
    const done = finished(child);
    try {
      const line = await waitForOutput(child, /dashboard on (http:\/\/[^/\s]+)\/.*\n/);
      const base = /dashboard on (http:\/\/[^/\s]+)\//.exec(line)?.[1] ?? "";
      const runs = await fetch(`${base}/api/runs`);
      assert.equal(runs.status, 200, "the password with an unencoded @ still connects");
      assert.match(
        line,
        /\(store PostgreSQL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres\?schema=serve_\d+\)/,
      );
      assert.ok(!line.includes(process.cwd()), line);
    } finally {
      child.kill("SIGTERM");
    }
    const r = await done;
    assertHidden(r.stdout + r.stderr, PASSWORD);

    const status = await runCli(["store", "status", "--store", url], { env });
    assert.equal(status.code, 0, status.stderr);
    assertHidden(status.stdout + status.stderr, PASSWORD);
    assert.match(status.stdout, /PostgreSQL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
  });

  it("a `password` query parameter is hidden by store status and by the authentication error", async () => {
    const { env } = isolatedEnv();
    const good = `postgres://postgres@127.0.0.1:${port}/postgres?password=${encodeURIComponent(PASSWORD)}`;
    const ok = await runCli(["store", "status", "--store", good], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assertHidden(ok.stdout + ok.stderr, PASSWORD);
    assert.match(ok.stdout, /password=\*\*\*/);

    const wrong = "Wr0ngSecretValue";
    const bad = await runCli(
      [
        "store",
        "status",
        "--store",
        `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable&password=${wrong}`,
      ],
      { env },
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /password authentication failed/);
    assertHidden(bad.stdout + bad.stderr, wrong);
  });

  it("an authentication error for a password in the user info with an unencoded @ hides all of it", async () => {
    const { env } = isolatedEnv();
    const wrong = "Bad1@Tail2Secret";
    const r = await runCli(["runs", "--store", `postgres://postgres:${wrong}@127.0.0.1:${port}/postgres`], {
      env,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /password authentication failed/);
    assertHidden(r.stdout + r.stderr, wrong);
  });
});

describe("store status only reads", () => {
  it("creates neither a PostgreSQL schema nor its tables", async () => {
    const { env } = isolatedEnv();
    const schema = `status_${process.pid}`;
    const r = await runCli(["store", "status", "--store", `${postgres.url}?schema=${schema}`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /schema version 0 of \d+ \(run `withstand store migrate`\), 0 runs/);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      assert.equal(found.rowCount, 0, "store status created the schema");
      const tables = await client.query("SELECT to_regclass('public.withstand_migrations') AS t");
      assert.equal(tables.rows[0]?.t, null, "store status created the migrations table");
    } finally {
      await client.end();
    }
  });

  it("creates no SQLite file", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "nested", "store.db");
    const r = await runCli(["store", "status", "--store", file], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no store yet/);
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(join(dir, "nested")), false);
  });
});
