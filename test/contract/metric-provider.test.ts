/**
 * The contract every metric provider passes (metrics/<provider>.ts, registered in metrics/index.ts),
 * each against the real thing: withstand's windows in a real store, a real router carrying real
 * requests, and a real Prometheus scraping a real target. A provider that answers SLIs gives known
 * good/total counts; one that answers canary points gives each version's points. A registered
 * provider without a harness here fails the suite.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Counter, Registry } from "prom-client";
import { DEFAULT_ANOMALY, detect } from "../../src/core/anomaly.js";
import type { Slo } from "../../src/core/slo-model.js";
import { newWindow, recordSample, toStored } from "../../src/core/window.js";
import { readOpenSlo } from "../../src/documents/openslo.js";
import { parseSource } from "../../src/documents/source.js";
import { METRIC_PROVIDERS, sourceFor, storeReader } from "../../src/metrics/index.js";
import { freePort } from "../../src/proxy/listen.js";
import { Router } from "../../src/proxy/router.js";
import { openStore } from "../../src/store/open.js";
import { backfilledPrometheus, diurnal } from "../helpers/anomaly-series.js";
import { startServer } from "../helpers/http-server.js";
import { exited, until } from "../helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "withstand-metrics-"));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function slo(text: string): Slo {
  const parsed = parseSource("slo.yaml", text);
  const r = readOpenSlo(parsed.docs);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  const found = r.slos.find((x) => x.name === "contract");
  assert.ok(found);
  return found;
}

const ratioSlo = (type: string, total: string, bad: string, url?: string) => {
  // A Prometheus source names a DataSource that holds its URL, as in OpenSLO's own examples.
  const source = url ? "metricSourceRef: prom" : `type: ${type}`;
  const dataSource = url
    ? `apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: prometheus, connectionDetails: {url: "${url}"}}
---
`
    : "";
  return `${dataSource}apiVersion: openslo/v1
kind: SLO
metadata: {name: contract}
spec:
  service: s
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {${source}, spec: {query: '${bad}'}}}
        total: {metricSource: {${source}, spec: {query: '${total}'}}}
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: a, target: 0.99}]
`;
};

const HARNESSES: Record<string, () => Promise<void>> = {
  async withstand() {
    const store = openStore(join(dir, "store.db"));
    cleanups.push(() => store.close());
    await store.beginRun({
      id: "w",
      kind: "load",
      title: "t",
      source: "s",
      startedAt: new Date().toISOString(),
    });
    const w = newWindow(10_000);
    for (let i = 0; i < 200; i++)
      recordSample(w, { latencyMicros: 1000, ...(i < 5 ? { errorClass: "5xx" } : {}) });
    w.end = 11_000;
    await store.appendWindow("w", "load", toStored(w));
    const s = slo(ratioSlo("withstand", "load", "load"));
    const source = sourceFor(
      s,
      storeReader((series, from, to) => store.windowsBetween(series, from, to)),
    );
    const objective = s.objectives[0];
    assert.ok(objective);
    assert.deepEqual(await source.counts(objective, 0, 20_000), { good: 195, total: 200 });
    assert.deepEqual(await source.counts(objective, 20_000, 30_000), { good: 0, total: 0 });
    // Instant and range queries over the same windows (series `load`), through the registry.
    const provider = METRIC_PROVIDERS.get("withstand");
    const windows = storeReader((series, from, to) => store.windowsBetween(series, from, to));
    assert.equal(
      await provider?.instant?.(
        { query: "load", measure: "error-rate", atMs: 11_000, lookbackMs: 20_000 },
        { windows },
      ),
      0.025,
    );
    assert.equal(
      await provider?.instant?.(
        { query: "load", measure: "latency", atMs: 11_000, lookbackMs: 20_000 },
        { windows },
      ),
      1,
    );
    const range = await provider?.range?.(
      { query: "load", measure: "error-rate", fromMs: 0, toMs: 20_000, stepMs: 10_000 },
      { windows },
    );
    assert.deepEqual(
      range?.map((x) => x.points),
      [
        [
          [10_000, Number.NaN],
          [20_000, 0.025],
        ],
      ],
    );
  },

  async router() {
    const stable = await startServer((_r, res) => res.end("ok"));
    const canary = await startServer((_r, res) => {
      res.statusCode = 500;
      res.end("no");
    });
    const router = new Router({ name: "contract", stable: stable.url, canary: canary.url });
    const address = await router.listen("127.0.0.1", 0);
    cleanups.push(async () => {
      await router.close();
      await stable.close();
      await canary.close();
    });
    router.setWeight(50);
    const from = Date.now() - 1;
    for (let i = 0; i < 60; i++) await (await fetch(`http://${address}/`)).text();
    const to = Date.now() + 1;
    const provider = METRIC_PROVIDERS.get("router");
    assert.ok(provider?.points);
    const q = (version: string, measure: "error-rate" | "latency") =>
      provider.points?.({ version, measure, fromMs: from, toMs: to }, { router }) ?? Promise.resolve([]);
    const [stableErrors, canaryErrors, canaryLatency] = await Promise.all([
      q("stable", "error-rate"),
      q("canary", "error-rate"),
      q("canary", "latency"),
    ]);
    assert.equal(stableErrors.length + canaryErrors.length, 60);
    assert.ok(canaryErrors.length > 0 && canaryErrors.every((e) => e === 1));
    assert.ok(stableErrors.every((e) => e === 0));
    assert.ok(canaryLatency.length === canaryErrors.length && canaryLatency.every((ms) => ms > 0));
    // An instant is the mean over the lookback; a range, one mean per step.
    const at = { atMs: to, lookbackMs: to - from, measure: "error-rate" as const };
    assert.equal(await provider.instant?.({ ...at, version: "canary" }, { router }), 1);
    assert.equal(await provider.instant?.({ ...at, version: "stable" }, { router }), 0);
    const range = await provider.range?.(
      { version: "canary", measure: "error-rate", fromMs: from, toMs: to, stepMs: to - from },
      { router },
    );
    assert.deepEqual(range?.[0]?.points, [[to, 1]]);
  },

  async synthetic() {
    // An application that fails for some users (as a broken flag variant would) and not for others.
    const app = await startServer((r, res) => {
      const user = new URL(r.url, "http://x").searchParams.get("user") ?? "";
      res.statusCode = user.startsWith("bad") ? 500 : 200;
      res.end(user);
    });
    const closed = await startServer(() => undefined);
    await closed.close();
    cleanups.push(() => app.close());
    const provider = METRIC_PROVIDERS.get("synthetic");
    assert.ok(provider?.points);
    const q = (url: string, subjects: string[], measure: "error-rate" | "latency") =>
      provider.points?.({ version: "canary", query: url, subjects, measure, fromMs: 0, toMs: 1 }, {}) ??
      Promise.resolve([]);
    const url = `${app.url}/checkout?user={{targetingKey}}`;
    assert.deepEqual(await q(url, ["good-1", "good-2", "good-3"], "error-rate"), [0, 0, 0]);
    assert.deepEqual(await q(url, ["bad-1", "bad-2"], "error-rate"), [1, 1]);
    const latency = await q(url, ["good-1", "bad-1"], "latency");
    assert.ok(latency.length === 2 && latency.every((ms) => ms > 0));
    // No answer at all is an error, with no latency to judge; no users, no points (NO DATA).
    assert.deepEqual(await q(`${closed.url}/?u={{targetingKey}}`, ["a"], "error-rate"), [1]);
    assert.deepEqual(await q(`${closed.url}/?u={{targetingKey}}`, ["a"], "latency"), []);
    assert.deepEqual(await q(url, [], "error-rate"), []);
  },

  async prometheus() {
    const registry = new Registry();
    const requests = new Counter({
      name: "contract_requests_total",
      help: "r",
      labelNames: ["code"],
      registers: [registry],
    });
    const traffic = setInterval(() => {
      requests.inc({ code: "200" }, 98);
      requests.inc({ code: "500" }, 2);
    }, 100);
    const target = createServer(async (_req, res) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: contract\n    static_configs: [{targets: ["127.0.0.1:${(target.address() as AddressInfo).port}"]}]\n`,
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
    cleanups.push(async () => {
      clearInterval(traffic);
      prometheus.kill("SIGTERM");
      await exited(prometheus);
      target.close();
    });
    const provider = METRIC_PROVIDERS.get("prometheus");
    assert.ok(provider?.points);
    const points = () =>
      provider.points?.(
        {
          query: "contract_requests_total",
          address: url,
          version: "stable",
          fromMs: Date.now() - 30_000,
          toMs: Date.now(),
        },
        {},
      ) ?? Promise.resolve([]);
    // Prometheus says nothing when a scrape lands: poll its query API.
    await until(
      async () => (await points().catch(() => [])).length >= 2,
      40_000,
      "Prometheus to hold samples",
    );
    const s = slo(
      ratioSlo("prometheus", "contract_requests_total", 'contract_requests_total{code="500"}', url),
    );
    const source = sourceFor(s, async () => []);
    const objective = s.objectives[0];
    assert.ok(objective);
    let counts = { good: 0, total: 0 };
    await until(
      async () => {
        counts = await source.counts(objective, Date.now() - 20_000, Date.now());
        return counts.total > 0 && counts.good < counts.total;
      },
      40_000,
      "a rate over two scrapes",
    );
    const errorRatio = 1 - counts.good / counts.total;
    assert.ok(Math.abs(errorRatio - 0.02) < 0.005, `error ratio ${errorRatio}`);
    // Instant (vector and scalar) and range queries, as Argo's templates ask them.
    const vector = await provider.instant?.(
      { query: "sum(contract_requests_total)", address: url, atMs: Date.now() },
      {},
    );
    assert.ok(Array.isArray(vector) && vector.length === 1 && (vector[0] ?? 0) > 0, JSON.stringify(vector));
    const scalar = await provider.instant?.(
      { query: "scalar(sum(contract_requests_total))", address: url, atMs: Date.now() },
      {},
    );
    assert.ok(typeof scalar === "number" && scalar > 0, JSON.stringify(scalar));
    const now = Date.now();
    const range = await provider.range?.(
      { query: "contract_requests_total", address: url, fromMs: now - 10_000, toMs: now, stepMs: 1000 },
      {},
    );
    assert.deepEqual(range?.map((x) => x.labels.code).sort(), ["200", "500"]);
    assert.ok(range?.every((x) => x.points.length >= 2 && x.points.every(([t, v]) => t <= now && v > 0)));
  },
  async pact() {
    // A version checked at its address: the pact's interaction replayed after its provider state.
    const provider = METRIC_PROVIDERS.get("pact");
    assert.ok(provider?.check);
    let broken = false;
    const server = await startServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/_pact/state") return res.end(JSON.stringify({ id: 3 }));
      res.end(JSON.stringify(broken ? { id: "three" } : { id: 3 }));
    });
    cleanups.push(() => server.close());
    const file = join(dir, "pact.json");
    writeFileSync(
      file,
      JSON.stringify({
        consumer: { name: "c" },
        provider: { name: "p" },
        metadata: { pactSpecification: { version: "3.0.0" } },
        interactions: [
          {
            description: "an item",
            providerStates: [{ name: "an item exists", params: { id: 3 } }],
            request: { method: "GET", path: "/items/3" },
            response: {
              status: 200,
              body: { id: 1 },
              matchingRules: { body: { "$.id": { matchers: [{ match: "integer" }] } } },
            },
          },
        ],
      }),
    );
    const gate = {
      type: "pact" as const,
      pacts: [file],
      version: "canary" as const,
      stateChangeUrl: "/_pact/state",
      stateChangeTeardown: false,
      headers: {},
      timeoutMs: 5000,
    };
    const good = await provider.check({ version: "canary", url: server.url, provider: gate });
    assert.deepEqual(good.result, { verified: 1, failed: 0, pending: 0, skipped: 0, total: 1 });
    assert.equal(server.seen[0]?.url, "/_pact/state", "the state is set up first, on the version");
    broken = true;
    const bad = await provider.check({ version: "canary", url: server.url, provider: gate });
    assert.equal(bad.result.failed, 1);
    assert.deepEqual(
      bad.contract.interactions[0]?.mismatches.map((m) => [m.path, m.expected, m.actual]),
      [["$.id", 1, "three"]],
    );
    await assert.rejects(
      provider.check({ version: "canary", url: server.url, provider: { ...gate, consumer: "nobody" } }),
      /no interaction to verify/,
    );
  },
  async anomaly() {
    // Four weeks and a day of traffic (ten-minute steps), the second copy tripled for its last 40 minutes.
    const step = 10 * 60_000;
    const steps = (29 * 86_400_000) / step;
    const calm = diurnal(11, steps, step);
    const spiking = diurnal(11, steps, step, [[(steps - 4) * step, 40 * 60_000]]);
    // On the step's grid, as the provider asks: a sample between grid points is out of Prometheus'
    // 5-minute lookback when it lies 6-9 minutes back (the verdict then depended on the clock's minute).
    const at = Math.floor(Date.now() / step) * step;
    const prom = await backfilledPrometheus(mkdtempSync(join(dir, "anomaly-")), { calm, spiking }, step, at);
    cleanups.push(() => prom.stop());
    const provider = METRIC_PROVIDERS.get("anomaly");
    const anomaly = { stepMs: step, historyMs: 29 * 86_400_000, config: DEFAULT_ANOMALY };
    const ask = (query: string) => provider?.instant?.({ query, address: prom.url, atMs: at, anomaly }, {});
    // The same verdict the detector gives the same points in process.
    const local = (values: number[]) =>
      detect(
        values.map((v, i) => ({ t: i * step, v })),
        step,
        DEFAULT_ANOMALY,
      ).at(-1)?.alert;
    assert.equal(local(spiking), true);
    assert.equal(await ask("spiking"), 1);
    assert.equal(local(calm), false);
    assert.equal(await ask("calm"), 0);
    await assert.rejects(
      provider?.instant?.({ query: "calm", atMs: at, anomaly }, {}) ?? Promise.resolve(),
      /needs a Prometheus address/,
    );
  },
};

it("every registered metric provider has a contract harness", () => {
  assert.deepEqual([...METRIC_PROVIDERS.keys()].sort(), Object.keys(HARNESSES).sort());
});

describe("metric providers against the real thing", () => {
  for (const [type, run] of Object.entries(HARNESSES)) it(type, run);
});
