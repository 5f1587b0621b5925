/**
 * The dashboard's DORA panel in a real browser, over stored rollouts with known times: the four keys
 * with their buckets and spreads, the week-by-week table, and the period and the two disputed
 * definitions (failure-rate denominator, recovery start) changed from the page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { openStore } from "../../src/store/open.js";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { isolatedEnv } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";
import { startServe } from "../helpers/serve.js";

const { env } = isolatedEnv();
let browser: Browser;
let page: Page;
let serve: Awaited<ReturnType<typeof startServe>>;
const H = 3_600_000;
const D = 24 * H;

before(async () => {
  const store = openStore(env.WITHSTAND_STORE as string);
  const now = Date.now();
  // [id, ended days ago, outcome, lead hours]
  const runs: [string, number, string, number][] = [
    ["old", 60, "promoted", 2],
    ["a", 20, "promoted", 5],
    ["b", 15, "rolled-back", 0],
    ["c", 14, "promoted", 1],
    ["d", 3, "promoted", 10],
  ];
  for (const [id, ago, outcome, lead] of runs) {
    const end = now - ago * D;
    await store.beginRun({
      id,
      kind: "rollout",
      title: "orders",
      source: "r.yaml",
      startedAt: new Date(end - H).toISOString(),
    });
    await store.finishRun(id, {
      status: "completed",
      deviated: outcome !== "promoted",
      outcome,
      exitCode: outcome === "promoted" ? 0 : 1,
      endedAt: new Date(end).toISOString(),
      durationMs: H,
      result: lead ? { commitTime: new Date(end - lead * H).toISOString() } : {},
    });
  }
  await store.close();
  serve = await startServe(env);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on("pageerror", (err) => {
    throw err;
  });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

const text = (id: string) => page.locator(`[data-testid=${id}]`).innerText();

describe("the DORA panel", () => {
  it("shows the four keys with their buckets and spreads, and the weeks of the period", async () => {
    await page.goto(`${serve.url}/#/rollouts`);
    await page.locator("[data-testid=dora-lead]").waitFor();
    await page.selectOption("[data-testid=dora-period]", "30d");
    await until(async () => /3 deployments, 1 failed/.test(await text("dora-summary")), 10_000, "30 days");
    // leads 5 h, 1 h, 10 h: median 5 h; one failure of four attempts; b started 15 d 1 h ago, c ended 14 d ago
    assert.match(
      await text("dora-lead"),
      /5\.0h[\s\S]*One day[\s\S]*median 5\.0h · p90 9\.0h · worst 10\.0h · n=3/i,
    );
    assert.match(await text("dora-failure-rate"), /25\.0%[\s\S]*16-45%[\s\S]*all attempts/i);
    assert.match(await text("dora-recovery"), /25\.0h[\s\S]*One week/i);
    assert.match(await text("dora-frequency"), /Deployment frequency[\s\S]*of [56] weeks/);
    const rows = await page.locator("[data-testid=dora-weeks] tbody tr").allInnerTexts();
    assert.ok(rows.length === 5 || rows.length === 6, String(rows.length));
    assert.equal(rows.filter((r) => /\+ 1 failed/.test(r)).length, 1);
    await page.screenshot({ path: join(SHOTS, "dora-panel.png"), fullPage: true });
  });

  it("recomputes for another period and for the other definitions", async () => {
    await page.selectOption("[data-testid=dora-denominator]", "deployments");
    await until(async () => /33\.3%/.test(await text("dora-failure-rate")), 10_000, "the denominator");
    assert.match(await text("dora-failure-rate"), /successful deployments/);
    await page.selectOption("[data-testid=dora-recovery-start]", "rollback");
    // from b's rollback (15 d ago) to c (14 d ago)
    await until(async () => /24\.0h/.test(await text("dora-recovery")), 10_000, "the recovery start");
    await page.selectOption("[data-testid=dora-period]", "90d");
    await until(async () => /4 deployments, 1 failed/.test(await text("dora-summary")), 10_000, "90 days");
    // leads 2, 5, 1, 10 h: median 3.5 h
    assert.match(await text("dora-lead"), /3\.5h/);
  });
});
