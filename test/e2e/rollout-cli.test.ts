import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAlive } from "../../src/platform/processes.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";
import { stopChild } from "../helpers/processes.js";

const target = join(ROOT, "dist", "test", "helpers", "target-server.js");
const cmd = (...extra: string[]) => JSON.stringify([process.execPath, target, "--port", "${port}", ...extra]);

function rolloutFile(dir: string, name: string, canaryArgs: string[], steps: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: Rollout
metadata: {name: ${name}}
spec:
  listen: 127.0.0.1:0
  stable: {command: ${cmd()}}
  canary: {command: ${cmd(...canaryArgs)}}
  stickiness: {header: x-user-id}
  steps:
${steps}`,
  );
  return file;
}

describe("withstand rollout", () => {
  it("rolls a canary that fails 5% of requests back at its first analyses, stops it, and stores the decision", async (t) => {
    const { dir, env } = isolatedEnv();
    const file = rolloutFile(
      dir,
      "bad",
      ["--fail-every", "20"],
      `    - setWeight: 30
    - analysis:
        interval: 1500ms
        count: 4
        # The load starts after the router: a first measurement of fewer than 50 requests per version
        # (a busy machine) is NO DATA, which must not pause this test for a human.
        inconclusiveLimit: 2
        judge:
          metrics:
            - {name: errors, source: router, measure: error-rate, direction: increase, critical: true}
            - {name: latency, source: router, measure: latency, direction: increase}
    - setWeight: 60
`,
    );
    const rollout = startCli(["rollout", file], { env });
    t.after(() => stopChild(rollout));
    const done = finished(rollout);
    const out = await waitForOutput(rollout, /router on (http:\/\/[\d.:]+)/);
    const url = /router on (http:\/\/[\d.:]+)/.exec(out)?.[1] as string;
    const canaryPid = Number(/start canary: process (\d+)/.exec(out)?.[1]);
    const load = startCli(["load", `${url}/`, "--rate", "300/s", "--duration", "30s", "--quiet"], { env });
    t.after(() => stopChild(load));
    const loadDone = finished(load);
    const r = await done;
    load.kill("SIGINT");
    await loadDone;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ROLLED BACK bad/);
    const before = r.stdout.split("ROLLED BACK")[0] ?? "";
    const analyses = before.match(/analysis #\d+/g) ?? [];
    assert.ok(
      analyses.length >= 1 && analyses.length <= 3,
      `rolled back after ${analyses.length} analyses:\n${r.stdout}`,
    );
    assert.match(
      r.stdout,
      /errors\s+High critical canary higher than baseline: canary mean 0\.0\d+ vs baseline 0 /,
    );
    assert.doesNotMatch(r.stdout, /step 3\/3/, "the canary never reached 60%");
    assert.ok(canaryPid > 0 && !isAlive(canaryPid), "the canary withstand started is stopped");

    const runs = await runCli(["runs", "--json"], { env });
    const run = (
      JSON.parse(runs.stdout) as {
        runs: { id: string; kind: string; outcome: string; status: string; deviated: boolean }[];
      }
    ).runs.find((x) => x.kind === "rollout");
    assert.equal(run?.kind, "rollout");
    assert.equal(run?.outcome, "rolled-back");
    // The same meaning as a load over its thresholds (core/run-outcome.ts): completed, deviated.
    assert.deepEqual([run?.status, run?.deviated], ["completed", true]);
    const shown = await runCli(["runs", "show", run?.id ?? "", "--json"], { env });
    const detail = JSON.parse(shown.stdout) as {
      events: { type: string; metrics?: { name: string; classification: string; reason: string }[] }[];
      windows: { series: string }[];
      result: { decision: string; analyses: { measurements: { judgement: { verdict: string } }[] }[] };
    };
    const m = detail.events.find(
      (e) => e.type === "rollout-measurement" && e.metrics?.some((x) => x.classification === "High"),
    );
    assert.ok(m, "the failing measurement is stored with its per-metric explanation");
    assert.ok(
      detail.windows.some((w) => w.series === "router:canary"),
      "router windows are stored",
    );
    assert.equal(detail.result.decision, "rolled-back");
    assert.equal(detail.result.analyses[0]?.measurements.at(-1)?.judgement.verdict, "Fail");
  });

  it("pauses until `rollout promote`, reports `rollout status`, and exits 3 on `rollout abort`", async (t) => {
    const { dir, env } = isolatedEnv();
    const file = rolloutFile(
      dir,
      "held",
      [],
      `    - setWeight: 10
    - pause: {}
    - setWeight: 40
    - pause: {}
    - setWeight: 80
`,
    );
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "  listen: 127.0.0.1:0\n",
        "  listen: 127.0.0.1:0\n  metrics: 127.0.0.1:0\n",
      ),
    );
    const rollout = startCli(["rollout", file], { env });
    t.after(() => stopChild(rollout));
    const done = finished(rollout);
    const out = await waitForOutput(rollout, /paused.*step 2/);
    // The rollout's state in Prometheus format, valid for promtool.
    const metricsUrl = /metrics on (http:\/\/[\d.:]+\/metrics)/.exec(out)?.[1] ?? "";
    const exposition = await (await fetch(metricsUrl)).text();
    assert.match(exposition, /^withstand_rollout_canary_weight\{rollout="held"\} 10$/m);
    assert.match(exposition, /^withstand_rollout_step\{rollout="held"\} 1$/m);
    assert.match(exposition, /^# TYPE withstand_rollout_requests_total counter$/m);
    assert.equal(execFileSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" }), "");
    const status = await runCli(["rollout", "status", "held"], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /held: Paused, step 2\/5, canary weight 10%/);
    const listing = await runCli(["rollout", "status", "--json"], { env });
    assert.equal((JSON.parse(listing.stdout) as { name: string }[])[0]?.name, "held");
    // Listen first: the rollout may reach its next pause before `promote` itself has exited.
    const nextPause = waitForOutput(rollout, /paused.*step 4/);
    const promoted = await runCli(["rollout", "promote"], { env });
    assert.match(promoted.stdout, /held: resumed/);
    await nextPause;
    const aborted = await runCli(["rollout", "abort", "held"], { env });
    assert.match(aborted.stdout, /canary weight is 0/);
    const r = await done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /weight canary 40%[\s\S]*weight canary 0%[\s\S]*ABORTED held/);
    assert.match((await runCli(["rollout", "status"], { env })).stdout, /no rollout is running/);
    const missing = await runCli(["rollout", "promote", "nope"], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no rollout named nope is running/);
  });

  it("refuses a rollout whose name is already running (exit 2) and leaves no runner entry or running run behind", async () => {
    const { dir, env } = isolatedEnv();
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const rollouts = join(dir, "state", "rollouts");
      mkdirSync(rollouts, { recursive: true, mode: 0o700 });
      writeFileSync(join(rollouts, "dup.json"), JSON.stringify({ name: "dup", pid: holder.pid }));
      const r = await runCli(["rollout", rolloutFile(dir, "dup", [], "    - setWeight: 10\n")], { env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /a rollout named dup is already running/);
      assert.equal(
        existsSync(join(dir, "state", "runs")) && readdirSync(join(dir, "state", "runs")).length > 0,
        false,
      );
      const runs = await runCli(["runs", "--json"], { env });
      assert.deepEqual(JSON.parse(runs.stdout).runs, []);
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("rejects a malformed document with file:line:col and exit 2", async () => {
    const { dir, env } = isolatedEnv();
    const file = rolloutFile(dir, "broken", [], "    - setWeight: 120\n    - pause: {duration: soon}\n");
    const r = await runCli(["rollout", file], { env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /broken\.yaml:10:\d+: spec\.steps\[0\]\.setWeight: got 120 \(expected a weight from 0 to 100\)/,
    );
    assert.match(r.stderr, /broken\.yaml:11:\d+: spec\.steps\[1\]\.pause\.duration: got "soon"/);
  });

  it("exits 2 and says why when the router's port is taken or a version cannot start, leaving nothing running", async () => {
    const { dir, env } = isolatedEnv();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const busy = join(dir, "busy.yaml");
      writeFileSync(
        busy,
        readFileSync(rolloutFile(dir, "busy", [], "    - setWeight: 10\n"), "utf8").replace(
          "127.0.0.1:0",
          `127.0.0.1:${port}`,
        ),
      );
      const r = await runCli(["rollout", busy], { env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`busy\\.yaml: spec\\.listen 127\\.0\\.0\\.1:${port}: address already in use`),
      );
      const stablePid = Number(/start stable: process (\d+)/.exec(r.stdout)?.[1]);
      assert.ok(stablePid > 0 && !isAlive(stablePid), "the stable version it started is stopped again");
    } finally {
      taken.close();
    }
    const crashing = rolloutFile(dir, "crashing", ["--port", "not-a-port"], "    - setWeight: 10\n");
    writeFileSync(
      crashing,
      readFileSync(crashing, "utf8").replace(
        /canary: \{command: .*\}/,
        'canary: {command: [sh, -c, "echo no such port >&2; exit 7"], readyTimeout: 5s}',
      ),
    );
    const r = await runCli(["rollout", crashing], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /crashing\.yaml: canary: sh -c echo no such port >&2; exit 7 exited with 7; its output ends: no such port/,
    );
  });
});
