/**
 * A rollout is a step a game day may run: when a stop condition trips mid-rollout, the canary's weight
 * drops to 0 at once (back to stable), the canary stops, and later steps never start.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";

let healthy = true;
const health = createServer((_req, res) => {
  res.writeHead(healthy ? 200 : 503).end(healthy ? "ok" : "down");
});
let healthUrl = "";
before(async () => {
  await new Promise<void>((r) => health.listen(0, "127.0.0.1", r));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/`;
});
after(() => health.close());

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("a stop condition tripping mid-rollout aborts the rollout to stable and stops its canary", async () => {
  const { dir, env } = isolatedEnv();
  const target = `${ROOT}dist/test/helpers/target-server.js`;
  const cmd = `[${JSON.stringify(process.execPath)}, ${JSON.stringify(target)}, --port, "\${port}"]`;
  writeFileSync(
    join(dir, "rollout.yaml"),
    `apiVersion: withstand/v1
kind: Rollout
metadata: {name: gameday-canary}
spec:
  listen: 127.0.0.1:0
  stable: {command: ${cmd}}
  canary: {command: ${cmd}}
  steps:
    - setWeight: 40
    - pause: {}
    - setWeight: 100
`,
  );
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: canary under a stop condition
  steps:
    - {name: canary, file: rollout.yaml}
    - name: never
      experiment:
        method:
          - {type: probe, name: never, provider: {type: http, url: "${healthUrl}"}}
  stopConditions:
    - type: probe
      name: shop-healthy
      provider: {type: http, url: "${healthUrl}", timeout: 1}
      tolerance: 200
  interval: 500ms
`,
  );
  healthy = true;
  const runner = startCli(["gameday", file, "--json"], { env });
  const done = finished(runner);
  const seen = await waitForOutput(runner, /"type":"rollout-weight"[^\n]*"weight":40/);
  const canary =
    /"type":"fault-injected"[^\n]*"activity":"start canary"[^\n]*"targets":\["process (\d+)/.exec(seen);
  healthy = false;
  const r = await done;
  healthy = true;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const events = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
  const tripAt = events.findIndex((e) => e.type === "stop-condition-tripped");
  assert.ok(tripAt > 0, r.stdout);
  const back = events.slice(tripAt).find((e) => e.type === "rollout-weight");
  assert.equal(back?.weight, 0, "the canary's weight went back to 0 after the trip");
  assert.match(String(back?.reason), /aborted: halted \(withstand halt, or a game day's stop condition\)/);
  const finishedStep = events.find((e) => e.type === "step-finished" && e.step === 1);
  assert.equal(finishedStep?.outcome, "aborted");
  assert.match(String(finishedStep?.reason), /stopped by stop condition shop-healthy/);
  assert.ok(!events.some((e) => e.type === "rollout-weight" && e.weight === 100), "the rollout went on");
  assert.ok(
    events.slice(tripAt).some((e) => e.type === "fault-reverted" && e.activity === "start canary"),
    "the canary was stopped",
  );
  assert.ok(!events.some((e) => e.type === "step-started" && e.step === 2), "the second step started");
  if (canary?.[1]) await until(() => !alive(Number(canary[1])), 5000, "the canary process to exit");
  const runs = JSON.parse((await runCli(["runs", "--json", "--kind", "rollout"], { env })).stdout) as {
    runs: { outcome: string }[];
  };
  assert.equal(runs.runs[0]?.outcome, "aborted");
});
