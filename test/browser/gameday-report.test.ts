/**
 * A game day's postmortem in a real browser: the self-contained HTML report opens from a file with no
 * console errors and no request leaving the file, shows its timeline as inline SVG, and prints on A4.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { writeGameDay } from "../helpers/gameday.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startTarget } from "../helpers/processes.js";

let browser: Browser | undefined;
const stops: (() => Promise<void>)[] = [];
after(async () => {
  await browser?.close();
  for (const s of stops) await s().catch(() => undefined);
});

describe("the game day report", () => {
  it("opens in Chromium without console errors, with its timeline and stop condition", async () => {
    const { dir, env } = isolatedEnv();
    const t = await startTarget();
    const pid = t.child.pid ?? 0;
    stops.push(async () => {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
      await t.stop();
    });
    const file = writeGameDay(dir, t.url, pid);
    writeFileSync(join(dir, "go"), "");
    const r = await runCli(["gameday", file], { env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const id = /\(run ([\w-]+)\)\n$/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const html = join(dir, "report.html");
    const out = await runCli(["report", id, "--format", "html", "--out", html], { env });
    assert.equal(out.code, 0, out.stderr);

    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (req) => {
      if (!req.url().startsWith("file:")) requests.push(req.url());
    });
    await page.goto(`file://${html}`);
    assert.equal(await page.locator("h1").textContent(), "Game day: Orders game day");
    assert.equal(await page.locator("svg[aria-label='game day timeline'] rect").count(), 2);
    assert.ok((await page.locator("body").textContent())?.includes("orders-answer tripped"));
    await page.screenshot({ path: join(SHOTS, "gameday-report.png"), fullPage: true });
    const pdf = await page.pdf({ format: "A4" });
    assert.ok(pdf.length > 1000);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });
});
