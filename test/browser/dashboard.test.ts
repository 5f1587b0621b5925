import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { RUN_KINDS } from "../../src/runs/index.js";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { finished, runCli, startCli } from "../helpers/cli.js";
import { pauseExperiment } from "../helpers/experiments.js";
import { isolatedEnv, ROOT } from "../helpers/paths.js";
import { startVictim, stateOf, stopChild, until } from "../helpers/processes.js";
import { startServe } from "../helpers/serve.js";

/**
 * The dashboard in a real browser against a store that real demo runs wrote: the network-fault
 * experiment (a 300 ms latency toxic for a while, under load) and the bad canary rollout.
 */
const { dir, env } = isolatedEnv();
let browser: Browser;
let serve: Awaited<ReturnType<typeof startServe>>;
let page: Page;

before(async () => {
  for (const only of ["network", "rollout-bad"]) {
    const r = await runCli(["demo", "--only", only], { env });
    assert.equal(r.code, 0, `demo ${only}: ${r.stdout}\n${r.stderr}`);
  }
  serve = await startServe(env, ["--slo", join(ROOT, "examples", "demo", "slo.yaml")]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (err) => {
    throw err;
  });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

describe("the dashboard", () => {
  it("lists the runs of the store with their verdicts", async () => {
    await page.goto(`${serve.url}/`);
    await page.waitForSelector("[data-testid=run-list] tr[data-run-id]");
    const rows = await page.locator("[data-testid=run-list] tbody tr").allInnerTexts();
    assert.equal(rows.length, 2, rows.join("\n"));
    assert.match(rows[0] ?? "", /ROLLED-BACK[\s\S]*rollout orders-v2-bad[\s\S]*rollout/);
    assert.match(rows[1] ?? "", /HELD[\s\S]*experiment/);
    // The kind filter offers every run kind of the registry (served by /api/run-kinds), synthetic included.
    const offered = await page
      .locator("select[aria-label=kind] option")
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { value: string }).value).filter((v) => v !== ""),
      );
    assert.deepEqual(offered, [...RUN_KINDS.keys()]);
    await page.screenshot({ path: join(SHOTS, "run-list.png"), fullPage: true });
  });

  it("opens a run with latency and error charts and the fault marked on them", async () => {
    await page.goto(`${serve.url}/`);
    await page.locator("[data-testid=run-list] tbody tr", { hasText: "experiment" }).locator("a").click();
    await page.waitForSelector("[data-testid=run-detail] .chart canvas");
    const charts = await page
      .locator(".chart[data-chart]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-chart")));
    assert.deepEqual(charts.slice(0, 2), ["Latency (ms)", "Error rate"]);
    // The latency toxic is drawn on both charts as a band with its kind, and it has a real width.
    const markers = page.locator(".chart .fault-marker");
    assert.ok((await markers.count()) >= 2, "a fault marker on each chart");
    const box = await markers.first().boundingBox();
    assert.ok(
      box && box.width > 10 && box.height > 100,
      `the marker spans the fault: ${JSON.stringify(box)}`,
    );
    assert.match(
      (await markers.first().getAttribute("title")) ?? "",
      /^network:latency slow-inventory-for-replica-1 .*\nreverted: DELETE .*duration 6000ms elapsed/s,
    );
    assert.match(await page.locator("[data-testid=faults]").innerText(), /REVERTED[\s\S]*network/);
    await page.screenshot({ path: join(SHOTS, "run-detail.png"), fullPage: true });
  });

  it("shows a rollout's weight over time and each analysis with its explanation", async () => {
    await page.goto(`${serve.url}/#/rollouts`);
    await page.locator("[data-testid=run-list] a", { hasText: "orders-v2-bad" }).click();
    await page.waitForSelector('.chart[data-chart="Canary weight (%)"] canvas');
    const analysis = await page.locator(".analysis").first().innerText();
    assert.match(analysis, /step 2 #1: Failed/);
    assert.match(
      analysis,
      /errors\s+HIGH critical\s+canary higher than baseline: canary mean 0\.0\d+ vs baseline 0/,
    );
    await page.screenshot({ path: join(SHOTS, "rollout.png"), fullPage: true });
  });

  it("shows an SLO with its budget, burn-rate chart and alert states, from the demo's load windows", async () => {
    await page.goto(`${serve.url}/#/slo`);
    const slo = page.locator("[data-testid=slo]").first();
    await slo.locator(".chart canvas").waitFor();
    const text = await slo.innerText();
    assert.match(text, /orders-availability/);
    assert.match(text, /SLI over [1-9]\d* events \(target 99\.50%\)/);
    assert.match(text, /error budget remaining/);
    assert.match(text, /page\s+5s\/1s at 14\.4×\s+OK/);
    await page.screenshot({ path: join(SHOTS, "slo.png"), fullPage: true });
  });

  it("switches between light and dark themes", async () => {
    await page.goto(`${serve.url}/`);
    await page.waitForSelector("[data-testid=run-list]");
    const themes = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const before = await page.locator("button.theme").getAttribute("title");
      await page.locator("button.theme").click();
      // The theme is applied by an effect after the render: wait until the page shows the new one.
      // (Locators, not page-side functions: the dashboard's CSP forbids eval.)
      const button = page.locator(`button.theme:not([title=${JSON.stringify(before)}])`);
      await button.waitFor();
      const title = (await button.getAttribute("title")) ?? "";
      const want = title.includes("theme: dark")
        ? "dark"
        : title.includes("theme: light")
          ? "light"
          : undefined;
      if (want) await page.locator(`html[data-theme="${want}"]`).waitFor({ state: "attached" });
      themes.add((await page.locator("html").getAttribute("data-theme")) ?? "");
      if (themes.has("dark") && i === 0) await page.screenshot({ path: join(SHOTS, "run-list-dark.png") });
    }
    assert.deepEqual([...themes].sort(), ["dark", "light"]);
  });

  it("halts a live fault with the kill switch: the paused process resumes and the page shows it reverted", async (t) => {
    const victim = startVictim("withstand-dashboard-victim");
    t.after(() => stopChild(victim));
    const pid = victim.pid ?? 0;
    const file = pauseExperiment(dir, "pause", pid, "60s", "pause a worker for a minute");
    const run = startCli(["run", file], { env });
    t.after(() => stopChild(run));
    const runDone = finished(run);
    try {
      await until(() => stateOf(pid) === "T", 10_000, "the victim to be paused");
      await page.goto(`${serve.url}/#/health`);
      // The fault appears live (server-sent events), with nothing reloaded by hand.
      await page.waitForSelector(`[data-testid=active-faults] tr`, { timeout: 10_000 });
      assert.match(await page.locator("[data-testid=glance]").innerText(), /1 active fault/);
      await page.screenshot({ path: join(SHOTS, "health-active-fault.png"), fullPage: true });
      await page.locator("[data-testid=glance] [data-testid=kill-switch]").click();
      await page.locator("dialog[open] [data-testid=confirm-halt]").click();
      await until(() => stateOf(pid) !== "T", 5000, "the victim to resume");
      await page.waitForSelector("[data-testid=no-faults]", { timeout: 10_000 });
      assert.match(await page.locator("[data-testid=halt-result]").first().innerText(), /Reverted 1 fault/);
      const r = await runDone;
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const runId = /run (\d{8}-\d{6}-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? "";
      await page.goto(`${serve.url}/#/runs/${runId}`);
      await page.waitForSelector("[data-testid=faults] tr.reverted");
      assert.match(
        await page.locator("[data-testid=faults]").innerText(),
        /REVERTED[\s\S]*process-pause freeze/,
      );
      await page.screenshot({ path: join(SHOTS, "fault-reverted.png"), fullPage: true });
    } finally {
      run.kill("SIGINT");
      victim.kill("SIGKILL");
    }
  });
});
