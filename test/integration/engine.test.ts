import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventBus, type RunEvent } from "../../src/core/events.js";
import type { ExperimentSpec } from "../../src/core/experiment.js";
import { loadExperimentText } from "../../src/documents/experiment-file.js";
import type { RunOptions } from "../../src/engine/run.js";
import { runExperiment } from "../../src/runs/experiment.js";
import { json, startServer } from "../helpers/http-server.js";
import { fixture } from "../helpers/paths.js";

const stateRoot = mkdtempSync(join(tmpdir(), "withstand-engine-"));
let server: Awaited<ReturnType<typeof startServer>>;
let healthy = true;

before(async () => {
  server = await startServer((req, res) => {
    if (req.url.startsWith("/health"))
      return json(res, healthy ? 200 : 503, { ok: healthy }, "application/json; charset=utf-8");
    if (req.url.startsWith("/echo"))
      return json(res, 200, {
        method: req.method,
        url: req.url,
        body: req.body,
        type: req.headers["content-type"] ?? null,
      });
    if (req.url.startsWith("/slow")) return void setTimeout(() => json(res, 200, {}), 2000);
    return json(res, 200, { ok: true });
  });
});
after(() => server.close());

function spec(doc: unknown): ExperimentSpec {
  const r = loadExperimentText("t.json", JSON.stringify(doc));
  assert.ok(r.spec, r.diagnostics.map((d) => d.message).join("\n"));
  return r.spec;
}

async function run(s: ExperimentSpec, opts: Partial<RunOptions> = {}) {
  const bus = new EventBus();
  const events: RunEvent[] = [];
  bus.on((e) => events.push(e));
  const result = await runExperiment(s, {
    runId: "t",
    bus,
    signal: new AbortController().signal,
    stateRoot,
    ...opts,
  });
  return { ...result, events };
}

const probe = (name: string, path: string, tolerance: unknown = 200) => ({
  type: "probe",
  name,
  tolerance,
  provider: { type: "http", url: `\${base}${path}`, timeout: 3 },
});

describe("engine: a real Chaos Toolkit experiment", () => {
  it("runs http and process providers, plays rollbacks and writes a CTK journal with secrets redacted", async () => {
    const doc = JSON.parse(readFileSync(fixture("ctk", "unresponsive-service.json"), "utf8"));
    const s = spec(doc);
    const { journal, exitCode } = await run(s, {
      overrides: { configuration: { base_url: server.url }, secrets: {} },
    });
    assert.equal(exitCode, 0);
    assert.equal(journal.status, "completed");
    assert.equal(journal.deviated, false);
    assert.equal(journal.steady_states.before?.steady_state_met, true);
    assert.equal(journal.steady_states.after?.steady_state_met, true);
    assert.deepEqual(
      journal.run.map((r) => r.status),
      ["succeeded", "succeeded"],
    );
    assert.equal(journal.rollbacks.length, 1);
    for (const key of [
      "chaoslib-version",
      "platform",
      "node",
      "experiment",
      "start",
      "end",
      "duration",
      "status",
      "deviated",
      "steady_states",
      "run",
      "rollbacks",
    ]) {
      assert.ok(key in journal, key);
    }
    const post = server.seen.find((r) => r.url === "/admin/slow");
    assert.equal(post?.body, '{"delay_ms":50}');
    assert.equal(post?.headers.authorization, "Bearer s3cr3t-token");
    const text = JSON.stringify(journal);
    assert.ok(!text.includes("s3cr3t-token"), "secret leaked into the journal");
    assert.ok(text.includes("Bearer ***"));
    const proc = journal.run[1]?.output as { status: number; stdout: string };
    assert.equal(proc.status, 0);
    assert.equal(proc.stdout, `quotes from ${server.url}\n`);
  });
});

describe("engine: the journal's deviated flag (chaoslib)", () => {
  it("is true when a probe errors after the method, with status failed and exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "withstand-deviated-"));
    const probe = join(dir, "probe.sh");
    writeFileSync(probe, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const s = spec({
      title: "the probe itself breaks",
      description: "d",
      "steady-state-hypothesis": {
        title: "probe runs",
        probes: [{ type: "probe", name: "runs", tolerance: 0, provider: { type: "process", path: probe } }],
      },
      method: [
        { type: "action", name: "break-it", provider: { type: "process", path: "rm", arguments: [probe] } },
      ],
    });
    const { journal, exitCode } = await run(s);
    assert.equal(journal.steady_states.after?.probes[0]?.status, "failed");
    assert.equal(journal.status, "failed");
    assert.equal(journal.deviated, true);
    assert.equal(exitCode, 1);
  });
});

describe("engine: providers", () => {
  it("sends GET arguments as a query, JSON bodies for JSON content types, forms otherwise, and parses JSON with a charset", async () => {
    const s = spec({
      title: "providers",
      description: "d",
      configuration: { base: server.url },
      method: [
        {
          type: "probe",
          name: "get",
          provider: { type: "http", url: "${base}/echo", arguments: { a: 1, b: "x y" } },
        },
        {
          type: "probe",
          name: "form",
          provider: { type: "http", method: "post", url: "${base}/echo", arguments: { a: 1 } },
        },
        {
          type: "probe",
          name: "json",
          provider: {
            type: "http",
            method: "PUT",
            url: "${base}/echo",
            headers: { "content-type": "application/json; charset=utf-8" },
            arguments: { a: [1] },
          },
        },
        { type: "probe", name: "charset", provider: { type: "http", url: "${base}/health" } },
      ],
    });
    const { journal } = await run(s);
    const bodies = journal.run.map((r) => (r.output as { body: Record<string, unknown> }).body);
    assert.equal(bodies[0]?.url, "/echo?a=1&b=x+y");
    assert.equal(bodies[1]?.body, "a=1");
    assert.equal(bodies[1]?.type, "application/x-www-form-urlencoded");
    assert.equal(bodies[2]?.body, '{"a":[1]}');
    assert.deepEqual(bodies[3], { ok: true });
  });

  it("fails an activity on timeout, connection refused and expected_status, but not on a 5xx", async () => {
    healthy = false;
    try {
      const s = spec({
        title: "failures",
        description: "d",
        configuration: { base: server.url },
        method: [
          { type: "probe", name: "timeout", provider: { type: "http", url: "${base}/slow", timeout: 0.2 } },
          { type: "probe", name: "refused", provider: { type: "http", url: "http://127.0.0.1:9/x" } },
          {
            type: "probe",
            name: "expected",
            provider: { type: "http", url: "${base}/health", expected_status: 200 },
          },
          { type: "probe", name: "plain-503", provider: { type: "http", url: "${base}/health" } },
          {
            type: "probe",
            name: "proc-timeout",
            provider: { type: "process", path: "sleep", arguments: ["5"], timeout: 0.2 },
          },
          {
            type: "probe",
            name: "proc-exit-3",
            provider: { type: "process", path: "sh", arguments: ["-c", "exit 3"] },
          },
        ],
      });
      const { journal, exitCode } = await run(s);
      assert.deepEqual(
        journal.run.map((r) => r.status),
        ["failed", "failed", "failed", "succeeded", "failed", "succeeded"],
      );
      assert.match(journal.run[0]?.exception?.[0] ?? "", /no response within 200ms/);
      assert.match(journal.run[1]?.exception?.[0] ?? "", /connection refused/);
      assert.match(journal.run[2]?.exception?.[0] ?? "", /HTTP 503 .* \(expected 200\)/);
      assert.equal((journal.run[5]?.output as { status: number } | undefined)?.status, 3);
      // As in CTK, failing method activities do not fail the run.
      assert.equal(exitCode, 0);
    } finally {
      healthy = true;
    }
  });
});

describe("engine: hypothesis and rollback strategies", () => {
  const base = (extra: Record<string, unknown> = {}) => ({
    title: "strategies",
    description: "d",
    configuration: { base: server.url },
    "steady-state-hypothesis": { title: "healthy", probes: [probe("health", "/health")] },
    method: [{ type: "action", name: "break-it", provider: { type: "process", path: "true" } }],
    rollbacks: [{ type: "action", name: "fix-it", provider: { type: "process", path: "true" } }],
    ...extra,
  });

  it("reports an unmet before-hypothesis plainly, skips the method, and still plays rollbacks", async () => {
    healthy = false;
    try {
      const { journal, exitCode } = await run(spec(base()));
      assert.equal(exitCode, 1);
      assert.equal(journal.withstand.outcome, "hypothesis-unmet-before-method");
      assert.equal(journal.run.length, 0);
      assert.equal(journal.rollbacks.length, 1);
      assert.equal(journal.steady_states.after, null);
    } finally {
      healthy = true;
    }
  });

  it("deviates when the after-hypothesis is unmet, and `deviated` rollbacks play only then", async () => {
    const s = spec(
      base({
        method: [{ type: "action", name: "break-it", provider: { type: "http", url: "${base}/ok" } }],
        runtime: { rollbacks: { strategy: "deviated" } },
      }),
    );
    const held = await run(s);
    assert.equal(held.exitCode, 0);
    assert.equal(held.journal.rollbacks.length, 0);
    const breaking = await run(s, { hypothesisStrategy: "after-method-only" });
    assert.equal(breaking.journal.steady_states.before, null);
    const s2 = spec(
      base({
        method: [
          {
            type: "action",
            name: "break",
            provider: { type: "process", path: "true" },
            pauses: { after: 0 },
          },
        ],
      }),
    );
    assert.equal((await run(s2, { rollbackStrategy: "never" })).journal.rollbacks.length, 0);
  });

  it("checks continuously during the method and stops early with fail-fast", async () => {
    const s = spec(
      base({
        method: [
          { type: "action", name: "break", provider: { type: "http", url: "${base}/ok" } },
          { type: "action", name: "wait", provider: { type: "process", path: "sleep", arguments: ["3"] } },
        ],
      }),
    );
    healthy = true;
    const flip = setTimeout(() => {
      healthy = false;
    }, 300);
    try {
      const started = Date.now();
      const { journal, exitCode } = await run(s, {
        hypothesisStrategy: "during-method-only",
        hypothesisFrequencyMs: 100,
        failFast: true,
      });
      assert.ok(Date.now() - started < 2500, "fail-fast did not stop the method");
      assert.equal(exitCode, 1);
      assert.equal(journal.deviated, true);
      assert.ok(journal.steady_states.during.some((d) => !d.steady_state_met));
      assert.equal(journal.steady_states.before, null);
    } finally {
      clearTimeout(flip);
      healthy = true;
    }
  });

  it("lets native documents fail on method-probe tolerances and pass outputs on with save", async () => {
    const r = loadExperimentText(
      "n.yaml",
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: native}
spec:
  configuration: {base: "${server.url}"}
  method:
    - type: probe
      name: first
      save: first
      provider: {type: http, url: "\${base}/echo?n=1"}
    - type: probe
      name: uses-saved
      tolerance: {type: regex, target: stdout, pattern: "^GET$"}
      provider: {type: process, path: echo, arguments: ["\${first.body.method}"]}
    - type: probe
      name: must-be-500
      tolerance: 500
      provider: {type: http, url: "\${base}/ok"}
    - type: action
      name: never-runs
      provider: {type: process, path: "true"}
`,
    );
    assert.ok(r.spec);
    const { journal, exitCode } = await run(r.spec);
    assert.equal(exitCode, 1);
    assert.equal(journal.deviated, true);
    assert.equal(journal.run[1]?.tolerance_met, true);
    assert.equal(journal.run[2]?.tolerance_met, false);
    assert.equal(journal.run.length, 3);
    assert.match(journal.withstand.reason, /method probe must-be-500/);
  });

  it("ignores method-probe tolerances in CTK documents, as CTK does", async () => {
    const s = spec({
      title: "ctk",
      description: "d",
      configuration: { base: server.url },
      method: [probe("p", "/ok", 500)],
    });
    const { exitCode, journal } = await run(s);
    assert.equal(exitCode, 0);
    assert.equal(journal.run[0]?.tolerance_met, undefined);
  });

  it("stops with exit 2 when configuration is missing", async () => {
    const s = spec({
      title: "t",
      description: "d",
      configuration: { x: { type: "env", key: "WITHSTAND_SURELY_UNSET" } },
      method: [],
    });
    const r = await run(s);
    assert.equal(r.exitCode, 2);
    assert.match(
      r.usageError ?? "",
      /configuration\.x: environment variable WITHSTAND_SURELY_UNSET is not set and has no default/,
    );
  });

  it("records an interrupted run, with exit 3", async () => {
    const s = spec(
      base({
        method: [
          { type: "action", name: "wait", provider: { type: "process", path: "sleep", arguments: ["5"] } },
        ],
      }),
    );
    const stop = new AbortController();
    setTimeout(() => stop.abort("interrupted"), 200);
    const { journal, exitCode, events } = await run(s, { signal: stop.signal });
    assert.equal(exitCode, 3);
    assert.equal(journal.status, "interrupted");
    assert.equal(journal.rollbacks.length, 0);
    assert.equal(events.at(-1)?.type, "run-finished");
  });
});
