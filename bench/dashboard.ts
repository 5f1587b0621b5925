import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newWindow, recordSample, toStored } from "../src/core/window.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { launchChromium } from "../test/helpers/browser.js";
import { startServe } from "../test/helpers/serve.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 1000);

async function seed(path: string): Promise<void> {
  const store = new SqliteStore(path);
  const t0 = Date.now() - RUNS * 60_000;
  for (let i = 0; i < RUNS; i++) {
    const id = `bench-${String(i).padStart(5, "0")}`;
    const kind = ["experiment", "load", "rollout"][i % 3] ?? "experiment";
    const startedAt = new Date(t0 + i * 60_000).toISOString();
    await store.beginRun({
      id,
      kind,
      title: `${kind} ${i}: orders under a replica kill`,
      source: `/srv/${kind}-${i}.yaml`,
      startedAt,
    });
    await store.appendEvent({
      type: "run-started",
      runId: id,
      ts: startedAt,
      title: `${kind} ${i}`,
      source: "bench",
    });
    for (let s = 0; s < 30; s++) {
      const w = newWindow(t0 + i * 60_000 + s * 1000);
      for (let n = 0; n < 20; n++) recordSample(w, { latencyMicros: 3000 + n * 100, status: 200 });
      w.end = w.start + 1000;
      await store.appendWindow(id, "traffic", toStored(w));
    }
    await store.finishRun(id, {
      status: "completed",
      deviated: i % 7 === 0,
      outcome: i % 7 === 0 ? "deviated" : "held",
      exitCode: i % 7 === 0 ? 1 : 0,
      endedAt: new Date(t0 + i * 60_000 + 30_000).toISOString(),
      durationMs: 30_000,
      result: null,
    });
  }
  await store.close();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-dashboard-"));
  const storeFile = join(dir, "store.db");
  await seed(storeFile);
  const serve = await startServe({ ...process.env, CI: "true", WITHSTAND_STATE_DIR: join(dir, "state") }, [
    "--store",
    storeFile,
  ]);
  const url = serve.url;
  const browser = await launchChromium();
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${url}/`);
      await page.waitForSelector("[data-testid=run-list] tr[data-run-id]");
      // The app marks the moment its run list is in the DOM; marks count from the navigation's start.
      const ms = await page.evaluate(
        () => performance.getEntriesByName("runs-rendered")[0]?.startTime ?? Number.NaN,
      );
      const rows = await page.locator("[data-testid=run-list] tbody tr").count();
      const total = await page.locator(".toolbar .muted").innerText();
      times.push(ms);
      console.log(`load ${i + 1}: run list (${rows} rows of ${total}) rendered after ${ms.toFixed(0)} ms`);
      await context.close();
    }
  } finally {
    await browser.close();
    await serve.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `dashboard first page with ${RUNS} runs in the store: median ${median.toFixed(0)} ms (goal < 1000 ms)`,
  );
}

await main();
