/**
 * A stop condition that trips while a step is still starting (it is already failing when the game day
 * begins) stops that step before it injects anything: no fault may be applied after the stop and held
 * for its whole duration.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import { freePort } from "../../src/proxy/listen.js";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, stateOf } from "../helpers/processes.js";

const victim = spawn("sleep", ["600"], { stdio: "ignore" });
after(async () => {
  try {
    process.kill(victim.pid ?? 0, "SIGCONT");
  } catch {}
  victim.kill("SIGKILL");
  await exited(victim);
});

it("a stop condition failing from the start stops the first step before its fault is held", async () => {
  const { dir, env } = isolatedEnv();
  const closed = await freePort();
  writeFileSync(
    join(dir, "step.yaml"),
    `apiVersion: withstand/v1
kind: Experiment
metadata: {name: freeze}
spec:
  title: freeze
  method:
    - type: action
      name: freeze
      fault: {kind: process-pause, select: {pid: ${victim.pid}}, duration: 120s}
`,
  );
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: already failing
  steps:
    - {name: harm, file: step.yaml}
  stopConditions:
    - {type: probe, name: down, provider: {type: http, url: "http://127.0.0.1:${closed}/", timeout: 0.3}, tolerance: 200}
  interval: 500ms
`,
  );
  const r = await runCli(["gameday", file, "--json"], { env });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /"type":"stop-condition-tripped"/);
  // Reverted by the stop, if it was injected at all, never by its 120 s running out.
  assert.doesNotMatch(r.stdout, /duration 120000ms elapsed/);
  assert.notEqual(stateOf(victim.pid ?? 0), "T", "the process is still paused after the game day");
});
