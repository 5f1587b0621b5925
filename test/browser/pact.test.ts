/**
 * Pact on the dashboard in a real browser: a verification run's page lists every interaction with its
 * mismatches, and a rollout's page shows its contract gate (the interactions the canary broke).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";
import { startServe } from "../helpers/serve.js";

const { dir, env } = isolatedEnv();
const providerJs = join(ROOT, "dist", "test", "helpers", "pact-provider.js");
const cmd = (...extra: string[]) =>
  JSON.stringify([process.execPath, providerJs, "--port", "${port}", ...extra]);

const pact = {
  consumer: { name: "checkout" },
  provider: { name: "orders" },
  metadata: { pactSpecification: { version: "3.0.0" } },
  interactions: [
    {
      description: "a request for an order",
      providerStates: [{ name: "an order exists", params: { id: 7 } }],
      request: { method: "GET", path: "/orders/7" },
      response: {
        status: 200,
        body: { id: 7, total: 9.99, status: "open" },
        matchingRules: {
          body: {
            "$.total": { matchers: [{ match: "decimal" }] },
            "$.status": { matchers: [{ match: "regex", regex: "open|closed" }] },
          },
        },
      },
    },
    {
      description: "the health check",
      request: { method: "GET", path: "/" },
      response: { status: 200, body: { ok: true } },
    },
  ],
};

let browser: Browser;
let page: Page;
let serve: Awaited<ReturnType<typeof startServe>>;
let provider: Awaited<ReturnType<typeof startServer>>;
const ids: Record<string, string> = {};

async function latest(kind: string): Promise<string> {
  const runs = JSON.parse((await runCli(["runs", "--json"], { env })).stdout) as {
    runs: { id: string; kind: string }[];
  };
  const id = runs.runs.find((r) => r.kind === kind)?.id;
  assert.ok(id, `a ${kind} run`);
  return id;
}

before(async () => {
  mkdirSync(join(dir, "pacts"), { recursive: true });
  writeFileSync(join(dir, "pacts", "checkout-orders.json"), JSON.stringify(pact));
  // A provider that answers the total as text: one interaction broken, the other verified.
  provider = await startServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(req.url === "/" ? { ok: true } : { id: 7, total: "9.99 EUR", status: "open" }));
  });
  const verify = await runCli(["pact", "verify", join(dir, "pacts"), "--provider-base-url", provider.url], {
    env,
  });
  assert.equal(verify.code, 1, verify.stdout + verify.stderr);
  ids.pact = await latest("pact");
  writeFileSync(
    join(dir, "r.yaml"),
    `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: contracts}
spec:
  metrics:
    - name: consumer-pacts
      provider: {pact: {pacts: [./pacts], stateChangeUrl: /_pact/state}}
---
apiVersion: withstand/v1
kind: Rollout
metadata: {name: orders}
spec:
  listen: 127.0.0.1:0
  stable: {command: ${cmd()}}
  canary: {command: ${cmd("--break")}}
  steps:
    - analysis: {templates: [{templateName: contracts}]}
    - setWeight: 50
`,
  );
  const rollout = await runCli(["rollout", join(dir, "r.yaml")], { env });
  assert.equal(rollout.code, 1, rollout.stdout + rollout.stderr);
  ids.rollout = await latest("rollout");
  serve = await startServe(env);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (err) => {
    throw err;
  });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  await provider?.close();
});

describe("pact on the dashboard", () => {
  it("a verification run's page shows each interaction's result, with the broken one's mismatches", async () => {
    await page.goto(`${serve.url}/#/runs/${ids.pact}`);
    const table = page.locator("[data-testid=pact-run]");
    await table.waitFor();
    assert.match(await table.innerText(), /1 verified · 1 failed/);
    const broken = page.locator('[data-interaction="a request for an order"]');
    assert.match(await broken.innerText(), /failed[\s\S]*checkout · given an order exists · GET/i);
    const total = broken.locator('[data-mismatch="$.total"]');
    assert.match(
      await total.innerText(),
      /body \$\.total: Expected '9\.99 EUR' \(String\) to be a decimal number/,
    );
    assert.match(await total.innerText(), /expected 9\.99 · actual "9\.99 EUR"/);
    assert.match(await page.locator('[data-interaction="the health check"]').innerText(), /verified/i);
    await page.screenshot({ path: join(SHOTS, "pact-run.png"), fullPage: true });
  });

  it("a rollout's page shows the pact gate that rolled the canary back, with what it broke", async () => {
    await page.goto(`${serve.url}/#/runs/${ids.rollout}`);
    const gate = page.locator("[data-testid=pact-gate]");
    await gate.waitFor();
    assert.match(await page.locator("[data-testid=run-detail]").innerText(), /rolled.back/i);
    assert.match(
      await gate.innerText(),
      /pact gate on the canary \(http:\/\/127\.0\.0\.1:\d+\): 1 of 2 verified, 1 broken/,
    );
    const broken = gate.locator('[data-interaction="a request for an order"]');
    assert.match(
      await broken.locator('[data-mismatch="$"]').innerText(),
      /missing the following keys: status/,
    );
    assert.match(
      await broken.locator('[data-mismatch="$.total"]').innerText(),
      /expected 9\.99 · actual "12\.50 EUR"/,
    );
    await page.screenshot({ path: join(SHOTS, "pact-rollout-gate.png"), fullPage: true });
  });
});
