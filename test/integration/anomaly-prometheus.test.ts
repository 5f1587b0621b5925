import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { DEFAULT_ANOMALY, detect, type Evaluation, type Point } from "../../src/core/anomaly.js";
import { seeded } from "../../src/core/stats.js";
import { backfilledPrometheus, diurnal } from "../helpers/anomaly-series.js";
import { runCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";

/**
 * The generated anomaly rules against the in-process detector, on a series neither was tuned on: five
 * weeks and three days of ten-minute traffic with two daily peaks, quiet weekends and noise, and 3×
 * spikes in the last three days. The step is longer than `for: 5m`, so a breach only pends at its first
 * step and fires at its second, in both. Prometheus' own rule engine (`promtool test rules`, which
 * evaluates every rule in order at every step, as a server does) must fire the alert at exactly the
 * steps the detector alerts, and at no other; a real Prometheus backfilled with the same series must
 * load the rules and evaluate them without error.
 */
const execFileP = promisify(execFile);
const { dir, env } = isolatedEnv();
const STEP = 10 * 60_000;
const DAY = 86_400_000;
const STEPS = ((5 * 7 + 3) * DAY) / STEP;
/** From here every prediction uses all three earlier weeks and every band a full week of residuals. */
const JUDGED_FROM = 5 * 7 * DAY;

/** Three 3× spikes of 30 minutes, one a day in the judged days, at hours drawn from a fixed seed. */
const draw = seeded(20261207);
const spikes = [0, 1, 2].map(
  (d) => JUDGED_FROM + d * DAY + Math.floor(((2 + draw() * 20) * 3_600_000) / STEP) * STEP,
);
const values = diurnal(
  20261207,
  STEPS,
  STEP,
  spikes.map((s): [number, number] => [s, 30 * 60_000]),
);

const evals: Evaluation[] = detect(
  values.map((v, i): Point => ({ t: i * STEP, v })),
  STEP,
  DEFAULT_ANOMALY,
);
const judged = evals.filter((e) => e.t >= JUDGED_FROM);
const rulesFile = join(dir, "anomaly.rules.yml");
let prom: Awaited<ReturnType<typeof backfilledPrometheus>> | undefined;
let promUrl = "";

before(async () => {
  const gen = await runCli(
    ["anomaly", "rules", "--name", "rps", "--expr", "rps", "--interval", "10m", "-o", rulesFile],
    { env },
  );
  assert.equal(gen.code, 0, gen.stderr);
  // The same rules evaluated every 5 s, so the server's first evaluation comes within seconds.
  const liveRules = join(dir, "live.rules.yml");
  const live = await runCli(
    ["anomaly", "rules", "--name", "rps", "--expr", "rps", "--interval", "5s", "-o", liveRules],
    { env },
  );
  assert.equal(live.code, 0, live.stderr);
  // The series ends this minute, within the lookback of the server's first evaluation.
  prom = await backfilledPrometheus(
    dir,
    { rps: values },
    STEP,
    Math.floor(Date.now() / 60_000) * 60_000,
    `global: {evaluation_interval: 5s}\nrule_files: [${JSON.stringify(liveRules)}]\n`,
  );
  promUrl = prom.url;
});

after(async () => {
  await prom?.stop();
});

describe("generated anomaly rules fire where the detector alerts", () => {
  it("the detector itself catches every spike in the judged week and little else", () => {
    for (const s of spikes)
      assert.ok(
        judged.some((e) => e.alert && e.t >= s && e.t < s + 60 * 60_000),
        `missed the spike at step ${s / STEP}`,
      );
    assert.ok(judged.filter((e) => e.alert).length / judged.length < 0.02);
  });

  it("promtool test rules: the alert fires at exactly the detector's alerting steps", async () => {
    const alerting = judged.filter((e) => e.alert);
    assert.ok(alerting.length >= spikes.length);
    const test = {
      rule_files: [rulesFile],
      evaluation_interval: "10m",
      tests: [
        {
          interval: "10m",
          input_series: [{ series: "rps", values: values.join(" ") }],
          alert_rule_test: judged.map((e) => ({
            alertname: "WithstandAnomaly_rps",
            eval_time: `${e.t / 60_000}m`,
            exp_alerts: e.alert
              ? [
                  {
                    exp_labels: { severity: "ticket" },
                    exp_annotations: {
                      summary: `rps is ${(e.score ?? 0).toFixed(1)} standard deviations from its seasonal prediction`,
                    },
                  },
                ]
              : [],
          })),
        },
      ],
    };
    const file = join(dir, "anomaly.test.yml");
    writeFileSync(file, stringify(test, { lineWidth: 0 }));
    const run = await execFileP("promtool", ["test", "rules", file], { maxBuffer: 64 << 20 }).then(
      (r) => ({ ok: true, out: r.stdout }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout}${err.stderr}` }),
    );
    assert.ok(run.ok, run.out.slice(0, 4000));
    assert.match(run.out, /SUCCESS/);
  });

  it("a real Prometheus backfilled with the series loads the rules and evaluates every one without error", async () => {
    // Prometheus has no readiness notification but its API: poll until the group has been evaluated.
    type Rule = { name: string; health: string; lastError?: string; type: string };
    let rules: Rule[] = [];
    const started = Date.now();
    for (;;) {
      assert.ok(Date.now() - started < 60_000, "Prometheus did not evaluate the rules within 60 s");
      const body = (await fetch(`${promUrl}/api/v1/rules`).then(
        (r) => (r.ok ? r.json() : undefined),
        () => undefined,
      )) as { data?: { groups: { rules: Rule[]; lastEvaluation: string }[] } } | undefined;
      const group = body?.data?.groups[0];
      if (group && !group.lastEvaluation.startsWith("0001")) {
        rules = group.rules;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(rules.length, 11);
    for (const r of rules) assert.equal(r.health, "ok", `${r.name}: ${r.lastError}`);
    const q = await fetch(
      `${promUrl}/api/v1/query?query=${encodeURIComponent("withstand_anomaly:value:rps ^ 2")}`,
    ).then((r) => r.json() as Promise<{ data: { result: { value: [number, string] }[] } }>);
    assert.equal(Number(q.data.result[0]?.value[1]).toFixed(3), values.at(-1)?.toFixed(3));
  });
});
