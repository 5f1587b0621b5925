/**
 * bench/gameday-stop: a game day's stop lever, per kind of stop condition. Each round runs a real game
 * day (the CLI) whose step harms a real server; the condition trips, and the game day records the time
 * from the trip to the last revert of the step (`stop-reverted`). Kinds: an HTTP probe, a Goss check, a
 * synthetic, a Prometheus expression (a real Prometheus scraping the server), and an SLO's burn-rate page
 * alert (the step is a load test against a half-failing server: "reverted" is the load stopped).
 * Prints detect (step start → trip) and stop → everything reverted, median / p90 / worst, per kind.
 * BENCH_ITERATIONS rounds per kind (default 5).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "withstand");
const TARGET = join(ROOT, "dist", "test", "helpers", "target-server.js");
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const INTERVAL_MS = 500;
const dir = mkdtempSync(join(tmpdir(), "withstand-gameday-bench-"));
const env = {
  ...process.env,
  WITHSTAND_STATE_DIR: join(dir, "state"),
  WITHSTAND_STORE: join(dir, "s.db"),
  CI: "true",
};
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A server that answers every path with one metric, so Prometheus can scrape it too. */
const METRICS_SERVER =
  "require('http').createServer((q,s)=>s.end('bench_up 1\\n')).listen(0,'127.0.0.1',function(){console.log('port '+this.address().port)})";

async function startTarget(args: string[] = []): Promise<{ url: string; pid: number; port: number }> {
  const argv = args[0] === "--metrics" ? ["-e", METRICS_SERVER] : [TARGET, ...args];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once("data", (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())?.[1]))),
  );
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, port };
}

const pauseStep = (pid: number) => `apiVersion: withstand/v1
kind: Experiment
metadata: {name: freeze}
spec:
  title: freeze the server
  method:
    - type: action
      name: freeze
      fault: {kind: process-pause, select: {pid: ${pid}}, duration: 60s}
`;

function gameDay(step: string, condition: string): string {
  writeFileSync(join(dir, "step.yaml"), step);
  const file = join(dir, "gameday.yaml");
  writeFileSync(
    file,
    `apiVersion: withstand/v1
kind: GameDay
spec:
  title: stop lever bench
  steps:
    - {name: harm, file: step.yaml}
  stopConditions:
${condition}
  interval: ${INTERVAL_MS}ms
`,
  );
  return file;
}

interface Sample {
  detectMs: number;
  revertedMs: number;
}

async function once(file: string): Promise<Sample> {
  const child = spawn(BIN, ["gameday", file, "--json"], { env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const events = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string; ts: string; revertedMs?: number });
  const started = events.find((e) => e.type === "step-started");
  const trip = events.find((e) => e.type === "stop-condition-tripped");
  const reverted = events.find((e) => e.type === "stop-reverted");
  if (code !== 3 || !started || !trip || reverted?.revertedMs === undefined)
    throw new Error(`the game day did not trip (exit ${code}):\n${out.slice(-2000)}`);
  return { detectMs: Date.parse(trip.ts) - Date.parse(started.ts), revertedMs: reverted.revertedMs };
}

const pick = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};
const row = (xs: number[]) =>
  `median ${pick(xs, 0.5).toFixed(0).padStart(5)} ms  p90 ${pick(xs, 0.9).toFixed(0).padStart(5)} ms  worst ${Math.max(
    ...xs,
  )
    .toFixed(0)
    .padStart(5)} ms`;

const results: { kind: string; samples: Sample[] }[] = [];
async function measure(kind: string, setup: () => Promise<{ file: string; after?: () => void }>) {
  const samples: Sample[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const { file, after } = await setup();
    try {
      samples.push(await once(file));
    } finally {
      after?.();
    }
  }
  results.push({ kind, samples });
  process.stdout.write(
    `${kind.padEnd(22)} detect ${row(samples.map((s) => s.detectMs))}\n${"".padEnd(22)} stop→reverted ${row(samples.map((s) => s.revertedMs))}\n`,
  );
}

const resume = (pid: number) => () => {
  try {
    process.kill(pid, "SIGCONT");
  } catch {}
};

try {
  process.stdout.write(
    `game day stop lever: ${ITERATIONS} rounds per kind, stop conditions evaluated every ${INTERVAL_MS} ms\n`,
  );
  await measure("HTTP probe", async () => {
    const t = await startTarget();
    return {
      file: gameDay(
        pauseStep(t.pid),
        `    - {type: probe, name: answers, provider: {type: http, url: "${t.url}/", timeout: 0.3}, tolerance: 200}`,
      ),
      after: resume(t.pid),
    };
  });
  await measure("Goss check", async () => {
    const t = await startTarget();
    writeFileSync(join(dir, "goss.yaml"), `http:\n  ${t.url}/:\n    status: 200\n    timeout: 300\n`);
    return {
      file: gameDay(
        pauseStep(t.pid),
        `    - {type: probe, name: goss, provider: {type: goss, file: ${join(dir, "goss.yaml")}}, tolerance: {type: jsonpath, path: "$.ok", expect: true}}`,
      ),
      after: resume(t.pid),
    };
  });
  await measure("synthetic", async () => {
    const t = await startTarget();
    writeFileSync(
      join(dir, "synthetic.yaml"),
      `apiVersion: withstand/v1
kind: Synthetic
metadata: {name: answers}
spec:
  steps:
    - name: get
      request: {url: "${t.url}/", timeout: 300ms}
      assertions: [{source: STATUS_CODE, comparison: EQUALS, target: 200}]
`,
    );
    return {
      file: gameDay(
        pauseStep(t.pid),
        `    - {type: probe, name: synthetic, provider: {type: synthetic, file: ${join(dir, "synthetic.yaml")}}, tolerance: {type: jsonpath, path: "$.ok", expect: true}}`,
      ),
      after: resume(t.pid),
    };
  });
  // One Prometheus for every round: it scrapes each round's server every 500 ms.
  const promPort = await freePort();
  const promUrl = `http://127.0.0.1:${promPort}`;
  const targetsFile = join(dir, "targets.json");
  writeFileSync(targetsFile, "[]");
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: {scrape_interval: 500ms, scrape_timeout: 300ms}\nscrape_configs:\n  - job_name: target\n    metrics_path: /\n    file_sd_configs: [{files: ["${targetsFile}"], refresh_interval: 1s}]\n`,
  );
  const prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: "ignore" },
  );
  children.push(prometheus);
  const query = async (q: string) => {
    try {
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await r.json()) as { data?: { result?: unknown[] } }).data?.result ?? [];
    } catch {
      return [];
    }
  };
  await measure("Prometheus expression", async () => {
    const t = await startTarget(["--metrics"]);
    writeFileSync(targetsFile, JSON.stringify([{ targets: [`127.0.0.1:${t.port}`] }]));
    // Prometheus has no push notification for "scraped": poll until it sees this server up.
    let seen = false;
    for (let i = 0; i < 200 && !seen; i++) {
      seen = (await query(`up{instance="127.0.0.1:${t.port}"} == 1`)).length > 0;
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    if (!seen) throw new Error("Prometheus never scraped the server");
    return {
      file: gameDay(
        pauseStep(t.pid),
        `    - {name: target-down, prometheus: "${promUrl}", expr: 'up{instance="127.0.0.1:${t.port}"} == 0'}`,
      ),
      after: resume(t.pid),
    };
  });
  await measure("SLO burn-rate alert", async () => {
    const t = await startTarget(["--fail-every", "2"]);
    // Each round its own store: the page alert reads this round's load only.
    env.WITHSTAND_STORE = join(dir, `slo-${Date.now()}.db`);
    writeFileSync(
      join(dir, "slo.yaml"),
      readFileSync(join(ROOT, "test", "fixtures", "slo", "withstand-windows.yaml"), "utf8"),
    );
    const file = gameDay(
      `apiVersion: withstand/v1\nkind: LoadTest\nmetadata: {name: half-failing}\nspec:\n  url: ${t.url}/\n  rate: 50/s\n  duration: 60s\n`,
      `    - {name: page, slo: ${join(dir, "slo.yaml")}, alert: page}`,
    );
    return { file };
  });
  const summary = Object.fromEntries(
    results.map((r) => [
      r.kind,
      {
        stopToRevertedMs: {
          median: pick(
            r.samples.map((s) => s.revertedMs),
            0.5,
          ),
          p90: pick(
            r.samples.map((s) => s.revertedMs),
            0.9,
          ),
          worst: Math.max(...r.samples.map((s) => s.revertedMs)),
        },
        detectMs: {
          median: pick(
            r.samples.map((s) => s.detectMs),
            0.5,
          ),
        },
      },
    ]),
  );
  process.stdout.write(`${JSON.stringify({ bench: "gameday-stop", intervalMs: INTERVAL_MS, summary })}\n`);
} finally {
  for (const c of children) {
    try {
      if (c.pid) process.kill(c.pid, "SIGCONT");
    } catch {}
    c.kill("SIGTERM");
  }
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null
        ? undefined
        : new Promise<void>((resolve) => c.once("exit", () => resolve())),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}
