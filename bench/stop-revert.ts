/**
 * bench/stop-revert: signal → every fault reverted. A runner pauses an HTTP server for 60 s and then
 * blocks in a probe on it (the case that used to keep production frozen for the fault's whole
 * duration); the bench sends SIGINT, SIGTERM, or lets a 1 s --deadline fire, and times from the stop
 * until the server has left the stopped state. Goal: p99 < 100 ms from the signal.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 15);
const dir = mkdtempSync(join(tmpdir(), "withstand-stop-bench-"));
const env = {
  ...process.env,
  WITHSTAND_STATE_DIR: join(dir, "state"),
  WITHSTAND_STORE: join(dir, "s.db"),
  CI: "true",
};

// The paused target: a separate process (pausing this one would pause the bench).
const target = spawn(
  process.execPath,
  [
    "-e",
    "require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const port = await new Promise<number>((resolve) =>
  target.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString()))),
);
const pid = target.pid ?? 0;

const state = () => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return "gone";
  }
};
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 1));
  }
}

const experiment = join(dir, "blocked.yaml");
writeFileSync(
  experiment,
  `apiVersion: withstand/v1
kind: Experiment
metadata: {name: blocked-probe}
spec:
  method:
    - {type: action, name: freeze, fault: {kind: process-pause, select: {pid: ${pid}}, duration: 60s}}
    - {type: probe, name: stuck, provider: {type: http, url: "http://127.0.0.1:${port}/", timeout: 60}}
`,
);

const results: string[] = [];
for (const how of ["SIGINT", "SIGTERM", "deadline"] as const) {
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const args = ["run", experiment, "--json", ...(how === "deadline" ? ["--deadline", "1s"] : [])];
    const runner = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    runner.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await waitUntil(() => state() === "T", 10_000);
    if (how === "deadline") {
      // The deadline starts with the run: from run-started + 1 s to the fault-reverted event, in the runner's clock.
      await new Promise((r) => runner.on("close", r));
      const events = out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; ts: string });
      const started = Date.parse(events.find((e) => e.type === "run-started")?.ts ?? "");
      const reverted = Date.parse(events.find((e) => e.type === "fault-reverted")?.ts ?? "");
      samples.push(reverted - (started + 1000));
      continue;
    }
    // Let the probe block on the paused server, as in production.
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    runner.kill(how);
    await waitUntil(() => state() !== "T", 70_000);
    samples.push(performance.now() - t0);
    await new Promise((r) => runner.on("close", r));
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) =>
    samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)] ?? 0;
  results.push(
    `${how}: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms${how === "deadline" ? " (the runner's own clock, ms resolution)" : ""}`,
  );
}
target.kill("SIGKILL");
console.log(
  `stop → fault reverted while a probe is blocked on the paused process, ${ITERATIONS} runs each: ${results.join("; ")} (goal p99 < 100 ms)`,
);
