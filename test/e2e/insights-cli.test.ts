import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seeded } from "../../src/core/stats.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../helpers/cli.js";
import { fixture, isolatedEnv, ROOT } from "../helpers/paths.js";

const SLO = join(ROOT, "examples", "demo", "slo.yaml");

describe("withstand risk", () => {
  it("prices the example catalogue against the demo SLO, flags the costly risk and answers a what-if", async () => {
    const { env } = isolatedEnv();
    const r = await runCli(
      [
        "risk",
        join(ROOT, "examples", "risk", "orders-risks.yaml"),
        "--slo",
        SLO,
        "--format",
        "json",
        "--mitigate",
        "bad-deploy=canary:5%",
        "--limit",
        "10%",
      ],
      { env },
    );
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      risks: {
        name: string;
        rank: number;
        badMinutesPerYear: number;
        shares: { share: number; overLimit: boolean }[];
        ttdFrom: { kind: string };
      }[];
      whatIf: { saved: number }[];
    };
    // bad-deploy: 90 min × 1 × 365.25 / (365.25 / 4) = 360; demo SLO 99.5%: budget 2,629.8 min a year
    assert.deepEqual(
      out.risks.map((x) => [
        x.rank,
        x.name,
        Number(x.badMinutesPerYear.toFixed(2)),
        Number((x.shares[0]?.share ?? 0).toFixed(4)),
      ]),
      [
        [1, "bad-deploy", 360, 0.1369],
        [2, "replica-crash", 24.11, 0.0092],
        [3, "inventory-slow", 16.23, 0.0062],
      ],
    );
    assert.equal(out.risks[1]?.ttdFrom.kind, "guess");
    assert.equal(out.whatIf[0]?.saved, 342);
  });
  it("refuses a misspelt key and a risk without tbf or frequency at file:line:col, all at once", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "r.yaml");
    writeFileSync(
      file,
      "apiVersion: withstand/v1\nkind: RiskCatalog\nmetadata: {name: x}\nspec:\n  risks:\n    - name: a\n      ttd: 1m\n      ttr: 2m\n      impact: 5%\n      tdd: 3\n",
    );
    const r = await runCli(["risk", file], { env });
    assert.equal(r.code, 2);
    // Every problem at once: the misspelt key and the missing tbf/frequency, not one round each.
    assert.equal(
      r.stderr.trim(),
      [
        `${file}:10:7: spec.risks[0].tdd: unknown key (did you mean ttd?)`,
        `${file}:6:7: spec.risks[0]: give either tbf (time between failures) or frequency (failures a year)`,
      ].join("\n"),
    );
    writeFileSync(
      file,
      "apiVersion: withstand/v1\nkind: RiskCatalog\nmetadata: {name: x}\nspec:\n  risks:\n    - name: a\n      ttd: 1m\n      ttr: 2m\n      impact: 5%\n",
    );
    const none = await runCli(["risk", file], { env });
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr.trim(),
      `${file}:6:7: spec.risks[0]: give either tbf (time between failures) or frequency (failures a year)`,
    );
    writeFileSync(
      file,
      "apiVersion: withstand/v1\nkind: RiskCatalog\nmetadata: {name: x}\nspec:\n  risks:\n    - {name: a, ttd: 1m, ttr: 2m, impact: 5%, tbf: 30d}\n    - {name: a, ttd: 1m, ttr: 2m, impact: 500%, tbf: 30d, frequency: 4}\n",
    );
    const both = await runCli(["risk", file], { env });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /:7:\d+: spec\.risks\[1\]\.impact: /);
    assert.match(both.stderr, /:7:7: spec\.risks\[1\]: give either tbf/);
    assert.match(both.stderr, /:7:\d+: spec\.risks\[1\]\.name: a risk named a comes earlier/);
  });
});

describe("withstand dora", () => {
  it("computes the four keys from stored rollouts", async () => {
    const { dir, env } = isolatedEnv();
    const path = join(dir, "dora.db");
    const store = openStore(path);
    const day = 86_400_000;
    const now = Date.now();
    const runs: [string, number, string][] = [
      ["a", 20, "promoted"],
      ["b", 15, "rolled-back"],
      ["c", 14, "promoted"],
      ["d", 3, "promoted"],
    ];
    for (const [id, ago, outcome] of runs) {
      const start = new Date(now - ago * day - 3_600_000).toISOString();
      const end = new Date(now - ago * day).toISOString();
      await store.beginRun({ id, kind: "rollout", title: "orders", source: "r.yaml", startedAt: start });
      await store.finishRun(id, {
        status: "completed",
        deviated: outcome !== "promoted",
        outcome,
        exitCode: outcome === "promoted" ? 0 : 1,
        endedAt: end,
        durationMs: 3_600_000,
        result: { commitTime: new Date(now - ago * day - 5 * 3_600_000).toISOString() },
      });
    }
    await store.close();
    const r = await runCli(["dora", "--since", "30d", "--json", "--store", path], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.deployments, 3);
    assert.equal(out.failures, 1);
    assert.deepEqual(out.leadTime, { medianMinutes: 300, bucket: "One day", changes: 3, dropped: 0 });
    assert.equal(out.changeFailureRate.rate, 0.25);
    // b started 15 days and an hour ago; c ended 14 days ago: 25 hours
    assert.equal(Math.round(out.recoveryTime.medianHours), 25);
    const text = await runCli(["dora", "--since", "30d", "--store", path], { env });
    assert.match(text.stdout, /change failure rate +25\.0% \(16-45%\); failures \/ all attempts/);
  });
});

describe("withstand anomaly", () => {
  it("refuses a row that is not time,value at its line, a series too short to judge, and an unbalanced --expr (exit 2)", async () => {
    const { dir, env } = isolatedEnv();
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "time,value\n1,2\nfoo,bar\n");
    const r = await runCli(["anomaly", "backtest", "--file", bad], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.csv:3: got "foo,bar" \(expected a CSV of time,value/);
    const short = join(dir, "short.csv");
    writeFileSync(short, "time,value\n1,2\n61,3\n");
    const s = await runCli(["anomaly", "backtest", "--file", short], { env });
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /the series has 2 points, over 1m00s: none could be judged/);
    const deep = join(dir, "deep.json");
    writeFileSync(deep, `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    const d = await runCli(["anomaly", "backtest", "--file", deep], { env });
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stderr, /deep\.json:1: got a nested value/);
    const z = await runCli(["anomaly", "backtest", "--file", "/dev/zero"], { env });
    assert.equal(z.code, 2, z.stderr);
    assert.match(z.stderr, /--file \/dev\/zero: not a regular file/);
    const e = await runCli(["anomaly", "rules", "--name", "x", "--expr", "sum(rate(x[5m])"], { env });
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, /--expr sum\(rate\(x\[5m\]\): the \( at column 4 is not closed/);
  });

  it("risk --format text lines up columns instead of printing Markdown", async () => {
    const { env } = isolatedEnv();
    const r = await runCli(
      ["risk", join(ROOT, "examples", "risk", "orders-risks.yaml"), "--format", "text"],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\|---/);
    assert.match(r.stdout, /^rank {2}risk {12}time to detect/m);
  });

  it("backtests a CSV series with injected spikes and reports recall", async () => {
    const { dir, env } = isolatedEnv();
    const file = join(dir, "rps.csv");
    const step = 5 * 60_000;
    const start = Math.floor((Date.now() - 35 * 86_400_000) / step) * step;
    const rows = ["time,value"];
    const rnd = seeded(3);
    for (let t = start; t < start + 35 * 86_400_000; t += step) {
      const mean = 50 + 40 * Math.sin(((t % 86_400_000) / 86_400_000) * 2 * Math.PI);
      rows.push(`${t / 1000},${(mean + (rnd() - 0.5) * 2 * Math.sqrt(mean)).toFixed(3)}`);
    }
    writeFileSync(file, `${rows.join("\n")}\n`);
    const r = await runCli(
      [
        "anomaly",
        "backtest",
        "--file",
        file,
        "--step",
        "5m",
        "--inject",
        "spike:3x:10m",
        "--for",
        "0s",
        "--json",
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.injected >= 13, String(out.injected));
    assert.equal(out.recall, 1, JSON.stringify(out.missed));
    assert.ok(out.alertingSteps / out.judged < 0.02);
  });
  it("generates rules that promtool accepts", async () => {
    const { dir, env } = isolatedEnv();
    const out = join(dir, "anomaly.rules.yml");
    const r = await runCli(
      [
        "anomaly",
        "rules",
        "--name",
        "orders-rps",
        "--expr",
        'sum(rate(http_requests_total{job="orders"}[5m]))',
        "-o",
        out,
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      execFileSync("promtool", ["check", "rules", out], { encoding: "utf8" }),
      /SUCCESS: 11 rules found/,
    );
    const weekly = join(dir, "weekly.rules.yml");
    await runCli(
      [
        "anomaly",
        "rules",
        "--name",
        "x",
        "--expr",
        "sum(rate(x_total[5m]))",
        "--preset",
        "weekly-average",
        "-o",
        weekly,
      ],
      { env },
    );
    assert.match(
      execFileSync("promtool", ["check", "rules", weekly], { encoding: "utf8" }),
      /SUCCESS: 4 rules found/,
    );
  });
  it("refuses a bad flag with exit 2", async () => {
    const r = await runCli(["anomaly", "backtest", "--file", "x.csv", "--inject", "spike:three"], {
      env: isolatedEnv().env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--inject spike:three: expected spike:FACTORx:DURATION/);
  });
});
void fixture;
