import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Counter, Gauge, Registry } from "prom-client";
import { EventBus } from "../../src/core/events.js";
import type { AnalysisSpec } from "../../src/core/rollout.js";
import { readRolloutDocs } from "../../src/documents/rollout.js";
import { parseSource } from "../../src/documents/source.js";
import { freePort } from "../../src/proxy/listen.js";
import { Router } from "../../src/proxy/router.js";
import { RolloutController } from "../../src/rollout/controller.js";
import { measure } from "../../src/rollout/measure.js";
import { runCli } from "../helpers/cli.js";
import { fixture, isolatedEnv } from "../helpers/paths.js";
import { exited } from "../helpers/processes.js";

const { dir, env } = isolatedEnv();
const registry = new Registry();
// Per-version latency for the canary analysis: the canary answers 30% slower than stable.
const versionLatency = new Gauge({
  name: "orders_latency_seconds",
  help: "mean latency by version",
  labelNames: ["version"],
  registers: [registry],
});
const requests = new Counter({
  name: "orders_requests_total",
  help: "orders requests",
  labelNames: ["code"],
  registers: [registry],
});
const target = createServer(async (_req, res) => {
  res.writeHead(200, { "content-type": registry.contentType });
  res.end(await registry.metrics());
});
let prometheus: ChildProcess;
let promUrl: string;
let tick = 0;
const traffic = setInterval(() => {
  requests.inc({ code: "200" }, 99);
  requests.inc({ code: "503" }, 1);
  tick++;
  const wobble = 0.001 * (tick % 7);
  versionLatency.set({ version: "stable" }, 0.1 + wobble);
  versionLatency.set({ version: "canary" }, 0.13 + wobble);
}, 100);

before(async () => {
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  const rules = join(dir, "rules.yaml");
  const gen = await runCli(["slo", "rules", fixture("slo", "orders.yaml"), "-o", rules], { env });
  assert.equal(gen.code, 0, gen.stderr);
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: ["${rules}"]\nscrape_configs:\n  - job_name: orders\n    static_configs: [{targets: ["127.0.0.1:${(target.address() as AddressInfo).port}"]}]\n`,
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
});

after(async () => {
  clearInterval(traffic);
  prometheus?.kill("SIGTERM");
  if (prometheus) await exited(prometheus);
  target.close();
});

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

describe("generated SLO rules in a real Prometheus", () => {
  it("pass promtool check rules", () => {
    const out = execFileSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  it("load into a running Prometheus and record the error ratio from counts", async () => {
    // Prometheus has no push notification for "rule evaluated": poll its query API.
    let ratio: number | undefined;
    const started = Date.now();
    while (ratio === undefined || Number.isNaN(ratio)) {
      assert.ok(
        Date.now() - started < 40_000,
        "Prometheus did not record slo:sli_error:ratio_rate5m within 40 s",
      );
      await new Promise((r) => setTimeout(r, 500));
      try {
        const r = await query('slo:sli_error:ratio_rate5m{sloth_slo="orders-availability"}');
        if (r[0]) ratio = Number(r[0].value[1]);
      } catch {
        // Not up yet.
      }
    }
    assert.ok(Math.abs(ratio - 0.01) < 0.002, `error ratio ${ratio}, expected 1%`);
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { health: string }[] }[] };
    };
    const names = rules.data.groups.map((g) => g.name).sort();
    assert.ok(names.includes("sloth-slo-alerts-orders-orders-availability"));
    assert.ok(rules.data.groups.every((g) => g.rules.every((r) => r.health !== "err")));
    let burn: number | undefined;
    while (burn === undefined || Number.isNaN(burn)) {
      assert.ok(Date.now() - started < 50_000, "Prometheus did not record slo:current_burn_rate:ratio");
      const r = await query('slo:current_burn_rate:ratio{sloth_slo="orders-availability"}');
      if (r[0]) burn = Number(r[0].value[1]);
      else await new Promise((res) => setTimeout(res, 500));
    }
    assert.ok(Math.abs(burn - 10) < 2, `burn rate ${burn}: 1% errors against a 0.1% budget is a 10x burn`);
  });

  it("slo status reads the SLI and burn rates from Prometheus through the DataSource", async () => {
    const doc = join(dir, "slo.yaml");
    writeFileSync(
      doc,
      readFileSync(fixture("slo", "orders.yaml"), "utf8")
        .replace("http://127.0.0.1:9090", promUrl)
        .split("\n---\napiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: orders-latency")[0] ?? "",
    );
    const r = await runCli(["slo", "status", doc, "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout).slos[0];
    assert.equal(s.slo, "orders-availability");
    assert.ok(Math.abs(s.budget.sli - 0.99) < 0.003, `SLI ${s.budget.sli}`);
    assert.ok(Math.abs(s.burnRates["5m"] - 10) < 3, `5m burn ${s.burnRates["5m"]}`);
    assert.equal(s.alerts[3].firing, true, "1% errors over a 0.1% budget fires the 1x ticket pair");
  });
});

describe("canary analysis with Prometheus metrics", () => {
  const analysis = (query: string, prometheus = promUrl): AnalysisSpec => ({
    loc: "test",
    initialDelayMs: 0,
    metrics: [
      { name: "latency", source: "prometheus", query, prometheus, direction: "increase", critical: true },
    ],
    confidence: 0.98,
    thresholds: { pass: 95, marginal: 75 },
    weights: {},
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
  });
  const router = new Router({ name: "p", stable: "http://127.0.0.1:1", canary: "http://127.0.0.1:1" });

  it("runs the query once per version with {{version}} filled in, and judges the canary slower", async () => {
    // Wait until Prometheus holds a dozen scrapes of both versions (no push signal exists: poll).
    const q = 'orders_latency_seconds{version="{{version}}"}';
    let m = await measure(analysis(q), router, 0, Date.now() - 15_000, Date.now());
    const started = Date.now();
    while (
      (m.values.latency?.classification ?? "NoData") === "NoData" ||
      (m.judgement?.metrics[0]?.experimentCount ?? 0) < 10
    ) {
      assert.ok(Date.now() - started < 60_000, `Prometheus never answered: ${m.reason}`);
      await new Promise((r) => setTimeout(r, 500));
      m = await measure(analysis(q), router, 0, Date.now() - 15_000, Date.now());
    }
    assert.equal(m.phase, "Failed", m.reason);
    const v = m.judgement?.metrics[0];
    assert.equal(v?.classification, "High");
    assert.ok(Math.abs((v?.effectSize ?? 0) - 1.3) < 0.1, `mean ratio ${v?.effectSize}`);
    // Each upstream's `label` is what {{version}} becomes: swapped labels judge stable as the canary.
    const swapped = await measure(analysis(q), router, 1, Date.now() - 15_000, Date.now(), {
      stable: "canary",
      canary: "stable",
    });
    assert.equal(swapped.phase, "Successful", swapped.reason);
    assert.ok(Math.abs((swapped.judgement?.metrics[0]?.effectSize ?? 0) - 1 / 1.3) < 0.1);
  });

  it("makes an empty result explicit: NoData, inconclusive by default, and a dead Prometheus an Error", async () => {
    const empty = await measure(
      analysis('no_such_metric{version="{{version}}"}'),
      router,
      0,
      Date.now() - 10_000,
      Date.now(),
    );
    assert.equal(empty.phase, "Inconclusive");
    assert.match(empty.reason, /NO DATA for latency/);
    const dead = await measure(
      analysis("up", "http://127.0.0.1:9"),
      router,
      0,
      Date.now() - 10_000,
      Date.now(),
    );
    assert.equal(dead.phase, "Error");
    assert.match(dead.reason, /Prometheus http:\/\/127\.0\.0\.1:9 unreachable/);
  });
});

describe("Argo AnalysisTemplates against a real Prometheus", () => {
  const template = (
    address: string,
    query: string,
    success = "len(result) == 1 && result[0] < {{args.max-error-ratio}}",
  ) => `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-ratio}
spec:
  args:
  - name: max-error-ratio
  - name: job
    value: orders
  metrics:
  - name: error-ratio
    interval: 300ms
    count: 2
    successCondition: ${success}
    failureLimit: 0
    provider:
      prometheus:
        address: ${address}
        query: ${query}
`;
  const ratio =
    'sum(rate(orders_requests_total{code=~"5..",job="{{args.job}}"}[5s])) / sum(rate(orders_requests_total{job="{{args.job}}"}[5s]))';

  async function rollout(max: string, query = ratio) {
    const upstream = createServer((_q, res) => res.end("ok"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const { docs } = parseSource(
      "r.yaml",
      `${template(promUrl, JSON.stringify(query))}---
apiVersion: withstand/v1
kind: Rollout
metadata: {name: argo-${max.replace(".", "")}}
spec:
  listen: 127.0.0.1:0
  stable: {url: ${url}}
  canary: {url: ${url}}
  steps:
  - setWeight: 50
  - analysis:
      templates: [{templateName: error-ratio}]
      args: [{name: max-error-ratio, value: "${max}"}]
`,
    );
    const { spec, diagnostics } = readRolloutDocs("r.yaml", docs);
    assert.ok(spec, JSON.stringify(diagnostics));
    const controller = new RolloutController(spec, { runId: `argo-${max}`, bus: new EventBus() });
    const result = await controller.run();
    upstream.close();
    return result;
  }

  it("waits for Prometheus to hold the counters", async () => {
    // Prometheus has no push notification for "scraped": poll its query API, bounded.
    const started = Date.now();
    for (;;) {
      const r = await query(ratio.replaceAll("{{args.job}}", "orders"));
      if (r[0] && Number.isFinite(Number(r[0].value[1]))) break;
      assert.ok(Date.now() - started < 40_000, "no 5s rate within 40 s");
      await new Promise((res) => setTimeout(res, 300));
    }
  });

  it("promotes when result[0] meets the condition: 1% errors against a 5% limit", async () => {
    const r = await rollout("0.05");
    assert.equal(r.decision, "promoted", r.reason);
    const m = r.analyses[0]?.measurements[0];
    assert.ok(Array.isArray(m?.result) && Math.abs((m.result[0] ?? 0) - 0.01) < 0.003, JSON.stringify(m));
  });

  it("rolls back when it does not: 1% errors against a 0.1% limit, naming the condition and result", async () => {
    const r = await rollout("0.001");
    assert.equal(r.decision, "rolled-back");
    const shown =
      /successCondition len\(result\) == 1 && result\[0\] < 0.001 is false; result \[([\d.e-]+)\]/.exec(
        r.reason,
      );
    assert.ok(shown, r.reason);
    // Prometheus computes the ratio in floating point: 1% may read 0.009999999999999998.
    assert.ok(Math.abs(Number(shown[1]) - 0.01) < 0.003, r.reason);
  });

  it("an empty result is inconclusive, never a promotion", async () => {
    const spec = await (async () => {
      const { docs } = parseSource(
        "t.yaml",
        template(promUrl, "no_such_metric", "result[0] < {{args.max-error-ratio}}"),
      );
      const { spec, diagnostics } = readRolloutDocs(
        "r.yaml",
        parseSource(
          "r.yaml",
          "apiVersion: withstand/v1\nkind: Rollout\nmetadata: {name: e}\nspec:\n  listen: 127.0.0.1:0\n  stable: {url: http://127.0.0.1:1}\n  canary: {url: http://127.0.0.1:1}\n  steps:\n  - analysis: {templates: [{templateName: error-ratio}], args: [{name: max-error-ratio, value: '1'}]}\n",
        ).docs,
        docs,
      );
      assert.ok(spec, JSON.stringify(diagnostics));
      return spec;
    })();
    const step = spec.steps[0];
    assert.ok(step?.kind === "analysis" && step.analyses[0]);
    const m = await measure(
      step.analyses[0],
      new Router({ name: "e", stable: "http://127.0.0.1:1", canary: "http://127.0.0.1:1" }),
      0,
      Date.now() - 5000,
      Date.now(),
    );
    assert.equal(m.phase, "Inconclusive", m.reason);
    assert.deepEqual(m.result, []);
  });
});
