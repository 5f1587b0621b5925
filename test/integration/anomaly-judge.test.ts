import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventBus } from "../../src/core/events.js";
import { readRolloutDocs } from "../../src/documents/rollout.js";
import { parseSource } from "../../src/documents/source.js";
import { RolloutController } from "../../src/rollout/controller.js";
import { backfilledPrometheus, diurnal } from "../helpers/anomaly-series.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

/**
 * One anomaly judge in three places, against a real Prometheus holding five weeks of traffic: `calm`
 * (ordinary days) and `spiking` (the same days, tripled for the last half hour). The same check is a
 * steady-state tolerance (the experiment deviates), a rollout analysis provider (the rollout rolls
 * back) and a game-day stop condition (the game day stops), and on `calm` none of them fires.
 */
const { dir, env } = isolatedEnv();
const STEP = 5 * 60_000;
const STEPS = ((5 * 7 + 1) * 86_400_000) / STEP;
let prom: Awaited<ReturnType<typeof backfilledPrometheus>> | undefined;
let url = "";

before(async () => {
  const calm = diurnal(7, STEPS, STEP);
  const spiking = diurnal(7, STEPS, STEP, [[(STEPS - 6) * STEP, 30 * 60_000]]);
  // The series end this minute, so the judge's latest step reads their end.
  prom = await backfilledPrometheus(dir, { calm, spiking }, STEP, Math.floor(Date.now() / 60_000) * 60_000);
  url = prom.url;
});
after(async () => {
  await prom?.stop();
});

const check = (series: string) => `{prometheus: "${url}", query: ${series}}`;

describe("the anomaly judge", () => {
  it("as a steady-state tolerance: the experiment deviates on the spiking series and holds on the calm one", async () => {
    const experiment = (series: string) => {
      const file = join(dir, `exp-${series}.yaml`);
      writeFileSync(
        file,
        `apiVersion: withstand/v1
kind: Experiment
metadata: {name: traffic-${series}}
spec:
  title: traffic is ordinary (${series})
  steady-state-hypothesis:
    title: no anomaly
    probes:
      - type: probe
        name: traffic-ordinary
        provider: {type: http, url: "${url}/-/healthy"}
        tolerance: {type: anomaly, prometheus: "${url}", query: ${series}, for: 5m}
  method:
    - type: probe
      name: prometheus-up
      provider: {type: http, url: "${url}/-/healthy"}
`,
      );
      return file;
    };
    const spiking = await runCli(["run", experiment("spiking"), "--json"], { env });
    assert.equal(spiking.code, 1, spiking.stderr);
    assert.match(spiking.stdout, /anomalous: value [\d.]+ against a prediction of [\d.]+ \(band/);
    const calm = await runCli(["run", experiment("calm")], { env });
    assert.equal(calm.code, 0, calm.stdout + calm.stderr);
  });

  it("as a rollout analysis provider: rolls back on the spiking series, promotes on the calm one", async () => {
    const upstream = createServer((_q, res) => res.end("ok"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    try {
      const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      const rollout = async (series: string) => {
        const { docs } = parseSource(
          "r.yaml",
          `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: traffic-anomaly}
spec:
  metrics:
  - name: traffic-anomaly
    interval: 300ms
    count: 1
    successCondition: result == 0
    failureLimit: 0
    provider:
      anomaly: ${check(series)}
---
apiVersion: withstand/v1
kind: Rollout
metadata: {name: anomaly-${series}}
spec:
  listen: 127.0.0.1:0
  stable: {url: ${target}}
  canary: {url: ${target}}
  steps:
  - setWeight: 50
  - analysis: {templates: [{templateName: traffic-anomaly}]}
`,
        );
        const { spec, diagnostics } = readRolloutDocs("r.yaml", docs);
        assert.ok(spec, JSON.stringify(diagnostics));
        return new RolloutController(spec, { runId: `anomaly-${series}`, bus: new EventBus() }).run();
      };
      const bad = await rollout("spiking");
      assert.equal(bad.decision, "rolled-back", bad.reason);
      assert.match(bad.reason, /successCondition result == 0 is false; result 1/);
      const good = await rollout("calm");
      assert.equal(good.decision, "promoted", good.reason);
    } finally {
      upstream.close();
    }
  });

  it("as a game-day stop condition: the game day stops on the spiking series", async () => {
    writeFileSync(
      join(dir, "wait.yaml"),
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: wait}
spec:
  title: a long step
  method:
    - type: probe
      name: prometheus-up
      provider: {type: http, url: "${url}/-/healthy"}
      pauses: {after: 120}
`,
    );
    const file = join(dir, "gameday.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: GameDay
metadata: {name: anomaly}
spec:
  title: traffic game day
  steps:
    - file: wait.yaml
  stopConditions:
    - name: traffic-anomaly
      anomaly: ${check("spiking")}
  interval: 1s
`,
    );
    const dry = await runCli(["gameday", file, "--dry-run"], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /traffic-anomaly: anomalies in spiking at .*trips when the detector alerts/);
    const r = await finished(startCli(["gameday", file], { env }));
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /STOP CONDITION traffic-anomaly tripped/);
  });

  it("refuses a misspelt key of the check at file:line:col", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: Experiment
metadata: {name: bad}
spec:
  title: bad
  method:
    - type: probe
      name: p
      provider: {type: http, url: "${url}/-/healthy"}
      tolerance: {type: anomaly, prometheus: "${url}", query: calm, fro: 5m}
`,
    );
    const r = await runCli(["validate", file], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:10:\d+: .*fro: unknown key \(did you mean for\?\)/);
  });
});
