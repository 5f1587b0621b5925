/**
 * The dashboard's Flags page in a real browser against a real `withstand flags serve`: every flag with
 * its state, default variant and fractional shares, the audit trail, and the guarded switch: the ops
 * kill switch flipped from the page (confirmation and reason) reaches OFREP clients and is audited;
 * without the dashboard's token the switch is refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { type FlagsServer, ofrep, patchFlag, startFlags, TOKEN } from "../helpers/flags.js";
import { isolatedEnv } from "../helpers/paths.js";
import { until } from "../helpers/processes.js";
import { startServe } from "../helpers/serve.js";

const { dir, env } = isolatedEnv();
let browser: Browser;
let page: Page;
let flags: FlagsServer;
let serve: Awaited<ReturnType<typeof startServe>>;

before(async () => {
  flags = await startFlags(dir, env);
  serve = await startServe(env, ["--flags", flags.url, "--flags-token", TOKEN]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (err) => {
    throw err;
  });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  await flags?.stop();
});

describe("the Flags page", () => {
  it("lists each flag's state, default variant and shares, and the recent flips with their reasons", async () => {
    assert.equal(
      (await patchFlag(flags.url, "new-pricing", { weights: { on: 35, off: 65 }, reason: "rollout step" }))
        .status,
      200,
    );
    await page.goto(`${serve.url}/#/flags`);
    const pricing = page.locator("[data-flag=new-pricing]");
    await pricing.waitFor();
    assert.match(await pricing.locator("[data-testid=flag-shares]").innerText(), /on 35% · off 65%/);
    assert.equal(await pricing.locator("[data-testid=flag-default]").innerText(), "off");
    assert.match(await page.locator("[data-flag=disabled-bool]").innerText(), /DISABLED/);
    assert.match(
      await page.locator("[data-change=new-pricing]").first().innerText(),
      /ops[\s\S]*on 20% · off 80%[\s\S]*on 35% · off 65%[\s\S]*rollout step/,
    );
  });

  it("flips the kill switch after a confirmation, and OFREP clients see it", async () => {
    const evaluate = async () =>
      (await ofrep(flags.url, "/ofrep/v1/evaluate/flags/recommendations", { context: {} })).body?.reason;
    assert.equal(await evaluate(), "STATIC");
    await page.locator("[data-kill=recommendations]").click();
    await page.locator("[data-testid=flip-reason]").fill("incident 4711");
    await page.locator("[data-testid=confirm-flip]").click();
    const row = page.locator("[data-flag=recommendations]");
    await until(
      async () => (await row.innerText()).includes("DISABLED"),
      10_000,
      "the flag to show DISABLED",
    );
    assert.equal(await evaluate(), "DISABLED");
    await until(
      async () => (await page.locator("[data-change=recommendations]").count()) > 0,
      10_000,
      "the flip in the audit trail",
    );
    assert.match(
      await page.locator("[data-change=recommendations]").first().innerText(),
      /ops[\s\S]*ENABLED on → DISABLED on[\s\S]*dashboard: incident 4711/,
    );
    await page.screenshot({ path: join(SHOTS, "flags.png"), fullPage: true });
  });

  it("switches a flag's default variant after a confirmation, and a cancelled switch changes nothing", async () => {
    const variant = async () =>
      (await ofrep(flags.url, "/ofrep/v1/evaluate/flags/static-bool", { context: {} })).body?.variant;
    const row = page.locator("[data-flag=static-bool]");
    await row.locator("[data-switch=static-bool]").selectOption("off");
    await page.locator("dialog.confirm >> text=Cancel").last().click();
    assert.equal(await variant(), "on", "cancelled: nothing switched");
    await row.locator("[data-switch=static-bool]").selectOption("off");
    await page.locator("[data-testid=flip-reason]").fill("dark launch over");
    await page.locator("[data-testid=confirm-flip]").click();
    await until(
      async () => (await row.locator("[data-testid=flag-default]").innerText()) === "off",
      10_000,
      "the default variant to show off",
    );
    assert.equal(await variant(), "off");
  });

  it("refuses a switch without the dashboard's token", async () => {
    const res = await fetch(`${serve.url}/api/flags/switch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ server: flags.url, flag: "recommendations", state: "ENABLED" }),
    });
    assert.ok(res.status === 401 || res.status === 403, `status ${res.status}`);
    assert.equal(
      (await ofrep(flags.url, "/ofrep/v1/evaluate/flags/recommendations", { context: {} })).body?.reason,
      "DISABLED",
    );
  });
});
