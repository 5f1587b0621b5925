import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { runCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";

/** The run entries (`$STATE/runs/<id>.json`) a runner left in its state directory. */
const runnerEntries = (dir: string) =>
  existsSync(join(dir, "state", "runs")) ? readdirSync(join(dir, "state", "runs")) : [];

describe("error codes through the real CLI", () => {
  it("a usage error raised inside a load run exits 2 after the session is recorded and closed (WS_OUTPUT_UNWRITABLE)", async (t) => {
    const { dir, env } = isolatedEnv();
    const target = await startServer((_req, res) => res.end("ok"));
    t.after(() => target.close());
    const r = await runCli(
      [
        "load",
        `${target.url}/`,
        "--rate",
        "20/s",
        "--duration",
        "1s",
        "--summary-json",
        join(dir, "no-such-dir", "summary.json"),
      ],
      { env },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `withstand: error WS_OUTPUT_UNWRITABLE: --summary-json ${join(dir, "no-such-dir", "summary.json")}: cannot write (ENOENT; expected a path in an existing, writable directory)\n`,
    );
    // The run is in the store as it ended (not left "running", read back as interrupted), and the
    // runner left no entry behind.
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout).runs;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "completed");
    assert.equal(runs[0].outcome, "passed");
    assert.deepEqual(runnerEntries(dir), []);
  });

  it("an experiment whose --journal-path cannot be written exits 2 with its code, its run recorded, no runner entry left", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "exp.yaml");
    writeFileSync(
      file,
      `title: journal elsewhere
description: a run whose journal cannot be written
method:
  - type: action
    name: noop
    provider: {type: process, path: "true"}
`,
    );
    const journal = join(dir, "missing", "journal.json");
    const r = await runCli(["run", file, "--journal-path", journal, "--json"], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^withstand: error WS_OUTPUT_UNWRITABLE: --journal-path .*missing\/journal\.json: cannot write/,
    );
    // Under --json the error ends the NDJSON stream with the same code.
    const last = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
    assert.equal(last.type, "error");
    assert.equal(last.code, "WS_OUTPUT_UNWRITABLE");
    assert.equal(last.exitCode, 2);
    const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout).runs;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "completed");
    assert.deepEqual(runnerEntries(dir), []);
  });

  it("a bad flag under --json prints the error as one JSON line on stdout too", async () => {
    const { env } = isolatedEnv();
    const r = await runCli(["load", "http://127.0.0.1:9/", "--rate", "fast", "--json"], { env });
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stdout), {
      type: "error",
      code: "WS_USAGE",
      message: "--rate fast: expected requests per second such as 1000/s, 600/m or 50",
      exitCode: 2,
    });
  });

  it("a metric source that is down is WS_METRIC_SOURCE_DOWN, one that is missing WS_METRIC_SOURCE_MISSING", async () => {
    const { dir, env } = isolatedEnv();
    const down = join(dir, "down.yaml");
    const port = await freePort();
    writeFileSync(
      down,
      readFileSync(fixture("slo", "orders.yaml"), "utf8").replace(
        "http://127.0.0.1:9090",
        `http://127.0.0.1:${port}`,
      ),
    );
    const r = await runCli(["slo", "status", down], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^withstand: error WS_METRIC_SOURCE_DOWN: Prometheus http:\/\/127\.0\.0\.1:\d+ unreachable/,
    );
    const missing = join(dir, "missing.yaml");
    writeFileSync(
      missing,
      readFileSync(fixture("slo", "orders.yaml"), "utf8").replace(
        /connectionDetails:\n\s+url: http:\/\/127\.0\.0\.1:9090\n/,
        "connectionDetails: {}\n",
      ),
    );
    const m = await runCli(["slo", "status", missing], { env });
    assert.equal(m.code, 2, m.stderr);
    assert.match(
      m.stderr,
      /^withstand: error WS_METRIC_SOURCE_MISSING: .*needs a DataSource with connectionDetails\.url/,
    );
  });

  it("a port that is taken is WS_PORT_IN_USE, and the proxy exits instead of hanging", async (t) => {
    const { env } = isolatedEnv();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    t.after(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const r = await runCli(["proxy", "--port", String(port)], { env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `^withstand: error WS_PORT_IN_USE: --port ${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`,
      ),
    );
  });

  it("validate --json gives every diagnostic a code", async () => {
    const { dir, env } = isolatedEnv();
    const syntax = join(dir, "syntax.yaml");
    writeFileSync(syntax, "title: [unclosed\n");
    const r = await runCli(
      [
        "validate",
        "--json",
        fixture("ctk", "typo.yaml"),
        fixture("ctk", "bad.yaml"),
        syntax,
        join(dir, "nope.yaml"),
      ],
      { env },
    );
    assert.equal(r.code, 2);
    const files = JSON.parse(r.stdout).files as {
      file: string;
      diagnostics: { code: string; message: string }[];
    }[];
    const codes = (name: string) =>
      files.find((f) => f.file.endsWith(name))?.diagnostics.map((d) => d.code) ?? [];
    assert.ok(codes("typo.yaml").includes("WS_DOC_UNKNOWN_KEY"), JSON.stringify(files[0]));
    assert.ok(codes("bad.yaml").includes("WS_DOC_TYPE"), JSON.stringify(files[1]));
    assert.deepEqual(codes("syntax.yaml"), ["WS_DOC_SYNTAX"]);
    assert.deepEqual(codes("nope.yaml"), ["WS_DOC_UNREADABLE"]);
  });
});
