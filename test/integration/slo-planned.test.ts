import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { loadOpenSloFiles } from "../../src/documents/openslo.js";
import { freePort } from "../../src/proxy/listen.js";
import { generateRules, rulesYaml } from "../../src/slo/rules.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited } from "../helpers/processes.js";

/** An SLO over two counters: errors over requests, 99 % over `period`. */
function sloFile(dir: string, period: string, prometheus = "http://127.0.0.1:9090"): string {
  const file = join(dir, `slo-${period}.yaml`);
  writeFileSync(
    file,
    `apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec:
  type: prometheus
  connectionDetails: {url: "${prometheus}"}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout}
spec:
  service: shop
  indicator:
    metadata: {name: checkout-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {metricSourceRef: prom, spec: {query: "req_errors_total"}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: "req_total"}}}
  timeWindow: [{duration: ${period}, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: availability, target: 0.99}]
`,
  );
  return file;
}

const stops: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

describe("planned chaos left out of the error budget", () => {
  it("the generated rules pass promtool check rules and promtool test rules: the window's errors leave the budget", async () => {
    const { dir } = isolatedEnv();
    const loaded = await loadOpenSloFiles([sloFile(dir, "1d")]);
    const slo = loaded.slos[0];
    assert.ok(slo, JSON.stringify(loaded.diagnostics));
    // Planned chaos from minute 60 to minute 80 (promtool's clock starts at 0).
    const { groups } = generateRules(slo, {
      planned: { windows: [{ start: 3_600_000, end: 4_800_000, runs: ["r1"] }], stepMs: 60_000 },
    });
    const rules = join(dir, "rules.yaml");
    writeFileSync(rules, rulesYaml(groups));
    const check = execFileSync("promtool", ["check", "rules", rules], { encoding: "utf8" });
    assert.match(check, /SUCCESS: \d+ rules found/);
    // 100 requests a minute for 150 minutes; 1 error a minute, 31 during the planned window.
    const tests = join(dir, "tests.yaml");
    const labels = `{sloth_id="shop-checkout", sloth_service="shop", sloth_slo="checkout", sloth_window="1d"}`;
    const meta = `{sloth_id="shop-checkout", sloth_service="shop", sloth_slo="checkout"}`;
    writeFileSync(
      tests,
      stringify({
        rule_files: [rules],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [
              { series: "req_total", values: "0+100x150" },
              { series: "req_errors_total", values: "0+1x60 91+31x19 681+1x69" },
            ],
            promql_expr_test: [
              {
                // Without the window: 1 error in 100.
                expr: "round(slo:sli_error:ratio_rate1d * 1e6)",
                eval_time: "150m",
                exp_samples: [{ labels, value: 10000 }],
              },
              {
                // With it: (150 + 20 * 30) errors in 15000 requests.
                expr: "round(slo:sli_error_with_planned:ratio_rate1d * 1e6)",
                eval_time: "150m",
                exp_samples: [{ labels, value: 50000 }],
              },
              {
                // The budget rules downstream read the SLI without the window: 1x burn, none left.
                expr: "round(slo:period_burn_rate:ratio * 1000)",
                eval_time: "150m",
                exp_samples: [{ labels, value: 1000 }],
              },
              {
                expr: "withstand_planned_chaos",
                eval_time: "70m",
                exp_samples: [{ labels: `withstand_planned_chaos${meta}`, value: 1 }],
              },
              { expr: "withstand_planned_chaos", eval_time: "100m", exp_samples: [] },
            ],
          },
        ],
      }),
    );
    const out = execFileSync("promtool", ["test", "rules", tests], { encoding: "utf8" });
    assert.match(out, /SUCCESS/);
  });

  it("a real Prometheus records the budget without a game day's fault window; slo status shows both", async () => {
    const { dir, env } = isolatedEnv();
    // The service: a counter of requests and one of errors, which fail while the test sees a fault held.
    let failing = false;
    let total = 0;
    let errors = 0;
    const traffic = setInterval(() => {
      total += 10;
      if (failing) errors += 10;
    }, 100);
    const target = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        `# TYPE req_total counter\nreq_total ${total}\n# TYPE req_errors_total counter\nreq_errors_total ${errors}\n`,
      );
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    stops.push(() => {
      clearInterval(traffic);
      target.close();
    });
    const port = await freePort();
    const promUrl = `http://127.0.0.1:${port}`;
    const rules = join(dir, "rules.yaml");
    writeFileSync(rules, "groups: []\n");
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: ["${rules}"]\nscrape_configs:\n  - job_name: shop\n    static_configs: [{targets: ["127.0.0.1:${(target.address() as AddressInfo).port}"]}]\n`,
    );
    const prometheus: ChildProcess = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    stops.push(async () => {
      prometheus.kill("SIGTERM");
      await exited(prometheus);
    });
    const query = async (q: string): Promise<number | undefined> => {
      try {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        const v = body.data.result[0]?.value[1];
        return v === undefined ? undefined : Number(v);
      } catch {
        return undefined;
      }
    };
    // Prometheus has no push notification for "scraped" or "rule evaluated": poll its query API.
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const started = Date.now();
      while (!(await ok())) {
        assert.ok(Date.now() - started < 60_000, `Prometheus did not ${what} within 60 s`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await until(
      "scrape the service 3 times",
      async () => (await query("count_over_time(req_total[1m])")) === 3,
    );

    // A game day holds a fault for 2 s (it pauses a sleeping process); the service fails meanwhile.
    const victim = spawn("sleep", ["600"], { stdio: "ignore" });
    stops.push(async () => {
      victim.kill("SIGKILL");
      await exited(victim);
    });
    const file = join(dir, "gameday.yaml");
    writeFileSync(
      file,
      `apiVersion: withstand/v1
kind: GameDay
spec:
  title: checkout chaos
  steps:
    - name: pause
      experiment:
        method:
          - type: action
            name: pause
            fault: {kind: process-pause, select: {pid: ${victim.pid}}, duration: 2s}
`,
    );
    const runner = startCli(["gameday", file, "--json"], { env });
    let buffered = "";
    runner.stdout?.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const l of lines) {
        if (l.includes('"type":"fault-injected"')) failing = true;
        if (l.includes('"type":"fault-reverted"')) failing = false;
      }
    });
    const r = await finished(runner);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(failing, false);
    // Some good traffic after the game day, so the budget has something left to measure.
    const after = total + 200;
    await until("scrape traffic after the game day", async () => ((await query("req_total")) ?? 0) >= after);

    const slo = sloFile(dir, "1h", promUrl);
    const gen = await runCli(
      ["slo", "rules", slo, "--exclude-runs", "planned", "--planned-step", "2s", "-o", rules],
      { env },
    );
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stderr, /1 fault windows of 1 runs/);
    execFileSync("promtool", ["check", "rules", rules]);
    prometheus.kill("SIGHUP");
    let withPlanned = Number.NaN;
    let without = Number.NaN;
    await until("record both SLIs", async () => {
      withPlanned = (await query("slo:sli_error_with_planned:ratio_rate1h")) ?? Number.NaN;
      without = (await query("slo:sli_error:ratio_rate1h")) ?? Number.NaN;
      return !Number.isNaN(withPlanned) && !Number.isNaN(without);
    });
    // 2 s of failures in well over 10 s of traffic, against (nearly) none outside the window.
    assert.ok(withPlanned > 0.05, `the SLI with the chaos in it: ${withPlanned}`);
    assert.ok(without < withPlanned / 5, `without the window ${without}, with it ${withPlanned}`);

    const status = await runCli(["slo", "status", slo, "--exclude-runs", "planned", "--json"], { env });
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as {
      slos: { budget: { errorRatio: number }; budgetExcludingPlanned: { errorRatio: number } }[];
      planned: { windows: unknown[]; runs: string[] };
    };
    assert.equal(s.planned.windows.length, 1);
    const [first] = s.slos;
    assert.ok(first);
    assert.ok(first.budget.errorRatio > 0.05, JSON.stringify(first));
    assert.ok(first.budgetExcludingPlanned.errorRatio < first.budget.errorRatio / 5, JSON.stringify(first));
    const text = await runCli(["slo", "status", slo, "--exclude-runs", "planned"], { env });
    assert.match(text.stdout, /planned chaos: 1 fault windows of 1 runs/);
    assert.match(text.stdout, /without chaos +SLI/);
  });
});
