/**
 * `withstand monitor` as production runs it: the monitored service is killed and restarted; the
 * synthetic fails, the FT health page goes red with severity 1, one webhook alert arrives (not one per
 * run) and one resolve after recovery. /__gtg answers from cache while a check hangs; /__goss,
 * /metrics, heartbeats and acknowledgements work; synthetics are stored runs with windows.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import { freePort } from "../../src/proxy/listen.js";
import { openStore } from "../../src/store/open.js";
import { runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, startTarget, until } from "../helpers/processes.js";

/** The FT health-check response, written from the standard's fields (go-fthealth v1_1, n-health). */
const FT_SCHEMA = {
  type: "object",
  required: ["schemaVersion", "systemCode", "name", "description", "checks", "ok"],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: 1 },
    systemCode: { type: "string", minLength: 1 },
    name: { type: "string" },
    description: { type: "string" },
    ok: { type: "boolean" },
    severity: { enum: [1, 2, 3] },
    checks: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: [
          "id",
          "name",
          "ok",
          "severity",
          "businessImpact",
          "technicalSummary",
          "panicGuide",
          "checkOutput",
          "lastUpdated",
        ],
        properties: {
          id: { type: "string", pattern: "^[a-z0-9-]+$" },
          name: { type: "string" },
          ok: { type: "boolean" },
          severity: { enum: [1, 2, 3] },
          businessImpact: { type: "string" },
          technicalSummary: { type: "string" },
          panicGuide: { type: "string" },
          checkOutput: { type: "string" },
          lastUpdated: { type: "string", format: "date-time" },
          ack: { type: "string" },
        },
      },
    },
  },
} as const;

interface Health {
  ok: boolean;
  severity?: number;
  checks: { id: string; ok: boolean; severity: number; checkOutput: string }[];
}

const { dir, env } = isolatedEnv();
const alerts: { status: string; check: { id: string } }[] = [];
let hook: Awaited<ReturnType<typeof startServer>>;
let servicePort = 0;
let service: Awaited<ReturnType<typeof startTarget>>;
let monitorUrl = "";
let monitor: ReturnType<typeof startCli>;

const health = async (): Promise<Health> => (await (await fetch(`${monitorUrl}/__health`)).json()) as Health;
const checkOf = async (id: string) => (await health()).checks.find((c) => c.id === id);

before(async () => {
  hook = await startServer((req, res) => {
    alerts.push(JSON.parse(req.body) as (typeof alerts)[number]);
    res.end("ok");
  });
  servicePort = await freePort();
  service = await startTarget(["--port", String(servicePort)]);
  writeFileSync(
    join(dir, "order.yaml"),
    `apiVersion: withstand/v1
kind: Synthetic
metadata: {name: place-order}
spec:
  every: 1s
  severity: 1
  businessImpact: Customers cannot place orders
  panicGuide: https://runbooks.example/orders
  maxResponseTime: 2000
  steps:
    - name: place
      request: {method: POST, url: "http://127.0.0.1:${servicePort}/orders", json: {sku: test}}
      conditions: ["[STATUS] == 200"]
    - name: cancel
      alwaysRun: true
      request: {method: DELETE, url: "http://127.0.0.1:${servicePort}/orders/1"}
`,
  );
  writeFileSync(
    join(dir, "goss.yaml"),
    `file:\n  /etc/passwd:\n    exists: true\n    meta: {severity: 3, businessImpact: none}\ncommand:\n  "sleep 600":\n    exit-status: 0\n    timeout: 900000\n    meta: {severity: 2}\n`,
  );
  writeFileSync(
    join(dir, "backup.yaml"),
    "apiVersion: withstand/v1\nkind: Heartbeat\nmetadata: {name: nightly-backup}\nspec: {period: 1d, grace: 1h, severity: 2}\n",
  );
  const port = await freePort();
  monitor = startCli(
    [
      "monitor",
      "goss.yaml",
      "order.yaml",
      "backup.yaml",
      "--listen",
      `127.0.0.1:${port}`,
      "--interval",
      "2s",
      "--webhook",
      `${hook.url}/alerts`,
      "--system-code",
      "orders-api",
      "--token",
      "a-token-of-sixteen-plus",
    ],
    { env, cwd: dir },
  );
  await waitForOutput(monitor, "withstand monitor:");
  monitorUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  monitor.kill("SIGTERM");
  await exited(monitor);
  await service.stop().catch(() => undefined);
  await hook.close();
});

describe("withstand monitor", () => {
  it("serves FT health JSON that passes a schema of the standard's fields, and HTML for a browser", async () => {
    await until(async () => (await checkOf("place-order"))?.ok === true, 15_000, "the synthetic to pass");
    const body = await health();
    const ajv = new Ajv({ allErrors: true });
    ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(ajv.validate(FT_SCHEMA, body), JSON.stringify(ajv.errors));
    const res = await fetch(`${monitorUrl}/__health`);
    assert.match(res.headers.get("cache-control") ?? "", /no-store/);
    const html = await fetch(`${monitorUrl}/__health`, { headers: { accept: "text/html" } });
    assert.match(html.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await html.text(), /place-order/);
  });

  it("answers /__gtg from cache within 3 s while a check hangs", async () => {
    const res = await fetch(`${monitorUrl}/__gtg`, { signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 200, "the hanging check is severity 2: not a reason to take traffic away");
    assert.equal(await res.text(), "OK");
    const gtgHeaders = res.headers.get("cache-control") ?? "";
    assert.match(gtgHeaders, /no-store/);
  });

  it("kills the service: the synthetic fails, the page goes red with severity 1, one alert, one resolve", async () => {
    assert.equal(alerts.length, 0);
    await service.stop();
    await until(
      async () => (await health()).severity === 1,
      15_000,
      "the health page to go red with severity 1",
    );
    const red = await health();
    assert.equal(red.ok, false);
    assert.match((await checkOf("place-order"))?.checkOutput ?? "", /step place: request failed/);
    const gtg = await fetch(`${monitorUrl}/__gtg`);
    assert.equal(gtg.status, 503);
    assert.equal(await gtg.text(), "Not OK, see /__health endpoint");
    // Several failed runs later there is still one alert.
    const runsSeen = async () =>
      (await runCli(["runs", "--json"], { env })).stdout.split("synthetic-failed").length - 1;
    await until(async () => (await runsSeen()) >= 3, 20_000, "three failed runs");
    assert.deepEqual(
      alerts.map((a) => `${a.status} ${a.check.id}`),
      ["firing place-order"],
    );
    service = await startTarget(["--port", String(servicePort)]);
    await until(() => alerts.length === 2, 15_000, "the resolve message");
    assert.deepEqual(
      alerts.map((a) => `${a.status} ${a.check.id}`),
      ["firing place-order", "resolved place-order"],
    );
    await until(
      async () => (await checkOf("place-order"))?.ok === true,
      15_000,
      "the synthetic to pass again",
    );
  });

  it("serves Goss's health endpoint, blackbox metrics, heartbeat pings and acknowledgements", async () => {
    await until(
      async () => (await fetch(`${monitorUrl}/__goss`)).status === 200,
      15_000,
      "the Goss checks to report",
    );
    const goss = await fetch(`${monitorUrl}/__goss`, { headers: { accept: "application/json" } });
    const report = (await goss.json()) as { summary: { "failed-count": number } };
    assert.equal(report.summary["failed-count"], 0);
    const metrics = await (await fetch(`${monitorUrl}/metrics`)).text();
    assert.match(metrics, /^probe_success\{check="place-order",kind="synthetic",severity="1"\} 1$/m);
    assert.match(metrics, /^probe_duration_seconds\{check="file-etc-passwd",kind="goss",severity="3"\} /m);
    // goss serve's own counters, so its scrapers keep working.
    assert.match(metrics, /^goss_tests_outcomes_total\{type="file",outcome="pass"\} [1-9]\d*$/m);
    assert.match(metrics, /^goss_tests_run_outcomes_total\{outcome="pass"\} [1-9]\d*$/m);
    const rspec = await fetch(`${monitorUrl}/__goss`, {
      headers: { accept: "application/vnd.goss-rspecish" },
    });
    assert.match(rspec.headers.get("content-type") ?? "", /^application\/vnd\.goss-rspecish/);
    assert.match(await rspec.text(), /Count: \d+, Failed: 0/);
    const auth = { authorization: "Bearer a-token-of-sixteen-plus" };
    const beatsBefore = (await (await fetch(`${monitorUrl}/api/checks`)).json()) as {
      heartbeats: { name: string; deadline: string }[];
    };
    // A cross-site <img src> is a GET without the token: it must not keep a dead job looking alive.
    for (const method of ["GET", "POST"]) {
      const bare = await fetch(`${monitorUrl}/heartbeat/nightly-backup`, { method });
      assert.equal(bare.status, 401, `${method} ping without the token`);
    }
    const beatsAfter = (await (await fetch(`${monitorUrl}/api/checks`)).json()) as typeof beatsBefore;
    assert.deepEqual(beatsAfter.heartbeats, beatsBefore.heartbeats, "a refused ping moved the deadline");
    const ping = await fetch(`${monitorUrl}/heartbeat/nightly-backup`, { method: "GET", headers: auth });
    assert.equal(ping.status, 200);
    const post = await fetch(`${monitorUrl}/heartbeat/nightly-backup`, { method: "POST", headers: auth });
    assert.equal(post.status, 200);
    assert.equal((await fetch(`${monitorUrl}/heartbeat/nope`, { headers: auth })).status, 404);
    const refused = await fetch(`${monitorUrl}/api/checks/place-order/ack`, { method: "POST", body: "{}" });
    assert.equal(refused.status, 401, "acknowledging changes things: the token is required");
    const acked = await runCli(
      [
        "monitor",
        "ack",
        "place-order",
        "--url",
        monitorUrl,
        "--note",
        "deploying",
        "--token",
        "a-token-of-sixteen-plus",
      ],
      { env },
    );
    assert.equal(acked.code, 0, acked.stderr);
    const missing = await runCli(
      ["monitor", "ack", "nope", "--url", monitorUrl, "--token", "a-token-of-sixteen-plus"],
      { env },
    );
    assert.equal(missing.code, 2);
  });

  it("records each synthetic run as a stored run of kind synthetic with a window an SLO can read", async () => {
    const store = openStore(env.WITHSTAND_STORE);
    try {
      const runs = await store.listRuns({ kind: "synthetic", limit: 500 });
      assert.ok(
        runs.some((r) => r.outcome === "passed") && runs.some((r) => r.outcome === "synthetic-failed"),
      );
      const windows = await store.windowsBetween("synthetic:place-order", 0, Date.now() + 1000);
      assert.equal(windows.length, runs.length);
      assert.ok(windows.some((w) => w.errors === 1) && windows.some((w) => w.errors === 0 && w.count === 1));
    } finally {
      await store.close();
    }
  });
});
