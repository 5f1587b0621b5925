/**
 * The dashboard's Checks page in a real browser: a running monitor's checks with their states and
 * severities, acknowledging a failing one from the page (it reaches the monitor), and the synthetics the
 * store recorded with their pass rate.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { freePort } from "../../src/proxy/listen.js";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { startServer } from "../helpers/http-server.js";
import { isolatedEnv } from "../helpers/paths.js";
import { exited, until } from "../helpers/processes.js";
import { startServe } from "../helpers/serve.js";

const TOKEN = "checks-page-token-0123";
const { dir, env } = isolatedEnv();
let browser: Browser;
let page: Page;
let monitor: ReturnType<typeof startCli>;
let monitorUrl = "";
let serve: Awaited<ReturnType<typeof startServe>>;
let target: Awaited<ReturnType<typeof startServer>>;

before(async () => {
  target = await startServer((_req, res) => res.end("ok"));
  writeFileSync(
    join(dir, "goss.yaml"),
    "file:\n  /etc/passwd:\n    exists: true\n    meta: {severity: 3}\n  /no/such/file:\n    exists: true\n    title: The config file\n    meta: {severity: 1, businessImpact: Nothing starts}\n",
  );
  writeFileSync(
    join(dir, "ping.yaml"),
    `apiVersion: withstand/v1\nkind: Synthetic\nmetadata: {name: ping}\nspec:\n  steps:\n    - name: get\n      request: {url: "${target.url}/"}\n      conditions: ["[STATUS] == 200"]\n`,
  );
  for (let i = 0; i < 3; i++)
    assert.equal((await runCli(["synthetic", join(dir, "ping.yaml")], { env })).code, 0);
  const port = await freePort();
  monitorUrl = `http://127.0.0.1:${port}`;
  monitor = startCli(
    ["monitor", "goss.yaml", "--listen", `127.0.0.1:${port}`, "--interval", "2s", "--token", TOKEN],
    {
      env,
      cwd: dir,
    },
  );
  await waitForOutput(monitor, "withstand monitor:");
  serve = await startServe(env, ["--monitor", monitorUrl, "--monitor-token", TOKEN]);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (err) => {
    throw err;
  });
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  monitor?.kill("SIGTERM");
  if (monitor) await exited(monitor);
  await target?.close();
});

describe("the Checks page", () => {
  it("shows every monitored check with its state and severity, and the synthetics with their pass rate", async () => {
    await page.goto(`${serve.url}/#/checks`);
    const failing = page.locator("[data-check=file-no-such-file]");
    await failing.waitFor();
    await until(
      async () => (await failing.innerText()).toLowerCase().includes("failing"),
      15_000,
      "the failing check to report",
    );
    assert.match(
      await failing.innerText(),
      /The config file[\s\S]*severity 1[\s\S]*File: \/no\/such\/file: exists/i,
    );
    assert.match(await page.locator("[data-check=file-etc-passwd]").innerText(), /ok[\s\S]*severity 3/i);
    assert.match(await page.locator("[data-testid=monitor-overall]").innerText(), /NOT OK · severity 1/i);
    assert.match(await page.locator("[data-synthetic=ping]").innerText(), /passed[\s\S]*3\/3 runs passed/i);
    await page.screenshot({ path: join(SHOTS, "checks.png"), fullPage: true });
  });

  it("acknowledges a failing check from the page, and the monitor takes it", async () => {
    page.once("dialog", (d) => void d.accept("looking into it"));
    await page.locator("[data-ack=file-no-such-file]").click();
    await until(
      async () =>
        (await page.locator("[data-check=file-no-such-file]").innerText())
          .toLowerCase()
          .includes("acknowledged"),
      10_000,
      "the acknowledgement to show",
    );
    const health = (await (await fetch(`${monitorUrl}/__health`)).json()) as {
      checks: { id: string; ack?: string }[];
    };
    assert.match(
      health.checks.find((c) => c.id === "file-no-such-file")?.ack ?? "",
      /looking into it \(dashboard/,
    );
  });
});
