/**
 * The note box on a running game day's page: an observer types a note in the dashboard, it lands on
 * the run's timeline (live, and in the store) with the author's name; without the token nothing lands.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, it } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium, SHOTS } from "../helpers/browser.js";
import { finished, runCli, startCli, waitForOutput } from "../helpers/cli.js";
import { isolatedEnv } from "../helpers/paths.js";
import { startServe } from "../helpers/serve.js";

let browser: Browser | undefined;
const stops: (() => Promise<void>)[] = [];
after(async () => {
  await browser?.close();
  for (const s of stops.reverse()) await s().catch(() => undefined);
});

it("an observer's note from the dashboard lands on the game day's timeline; a request without the token is refused", async () => {
  const { dir, env } = isolatedEnv();
  const go = join(dir, "go");
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: notes from the dashboard
  participants: {owner: ana, observers: [dee]}
  steps:
    - name: wait for the observers
      experiment:
        method:
          - type: action
            name: wait-for-go
            provider:
              type: process
              path: sh
              arguments: ["-c", "for i in $(seq 600); do [ -e '${go}' ] && exit 0; sleep 0.1; done; exit 1"]
`,
  );
  const runner = startCli(["gameday", file], { env });
  const done = finished(runner);
  stops.push(async () => {
    writeFileSync(go, "");
    await done;
  });
  const started = await waitForOutput(runner, /step 1\/1 .* started/);
  const id = /game day .* \(run ([\w-]+)\)/.exec(started)?.[1];
  assert.ok(id, started);
  const serve = await startServe(env);
  stops.push(() => serve.stop());

  const refused = await fetch(`${serve.url}/api/runs/${id}/notes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ author: "mallory", text: "no token" }),
  });
  assert.equal(refused.status, 401);

  browser = await launchChromium();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${serve.url}/#/runs/${id}`);
  const box = page.getByTestId("note-box");
  await box.getByLabel("author").fill("dee");
  await box.getByLabel("kind").selectOption("bad");
  await box.getByLabel("note").fill("checkout alert fired 40 s late");
  await box.getByRole("button", { name: "Add note" }).click();
  await page
    .getByTestId("note-result")
    .filter({ hasText: /Noted at/ })
    .waitFor();
  await page
    .locator("ol.timeline li", { hasText: "note by dee [bad]: checkout alert fired 40 s late" })
    .waitFor();
  await page.screenshot({ path: join(SHOTS, "gameday-note.png"), fullPage: true });
  assert.deepEqual(errors, []);

  writeFileSync(go, "");
  const r = await done;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /note by dee \[bad\]: checkout alert fired 40 s late/);
  assert.doesNotMatch(r.stdout, /mallory/);
  const shown = await runCli(["runs", "show", id, "--json"], { env });
  assert.equal(shown.code, 0, shown.stderr);
  const stored = JSON.parse(shown.stdout) as { events: { type: string; author?: string; text?: string }[] };
  assert.ok(
    stored.events.some(
      (e) => e.type === "note" && e.author === "dee" && e.text === "checkout alert fired 40 s late",
    ),
    "the note is in the store",
  );
  // Once the game day has ended the box is gone and the API says why.
  const late = await fetch(`${serve.url}/api/runs/${id}/notes`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${await page.locator('meta[name="withstand-token"]').getAttribute("content")}`,
    },
    body: JSON.stringify({ author: "dee", text: "too late" }),
  });
  assert.equal(late.status, 409);
});
