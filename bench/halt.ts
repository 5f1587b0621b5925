/**
 * bench/halt: `withstand halt` with 50 paused processes. A real runner pauses all 50; the bench times
 * from launching `withstand halt` until every process has left the stopped state. Goal: p99 < 100 ms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const PROCESSES = 50;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20);
const dir = mkdtempSync(join(tmpdir(), "withstand-halt-bench-"));
const env = {
  ...process.env,
  WITHSTAND_STATE_DIR: join(dir, "state"),
  WITHSTAND_STORE: join(dir, "store.db"),
  CI: "true",
};

const state = (pid: number) => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return "gone";
  }
};

const victims: ChildProcess[] = [];
for (let i = 0; i < PROCESSES; i++)
  victims.push(
    spawn(process.execPath, ["-e", "setInterval(()=>{},1000)", "withstand-halt-bench-victim"], {
      stdio: "ignore",
    }),
  );
const pids = victims.map((v) => v.pid ?? 0);
const experiment = join(dir, "pause-all.yaml");
writeFileSync(
  experiment,
  `apiVersion: withstand/v1
kind: Experiment
metadata: {name: pause-fifty}
spec:
  method:
    - {type: action, name: freeze-all, fault: {kind: process-pause, select: {command: withstand-halt-bench-victim}, mode: all}}
    - {type: action, name: hold, provider: {type: process, path: sleep, arguments: ["60"]}}
`,
);

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    // A 1 ms poll keeps the measuring process from starving the halt process of a core.
    await new Promise((r) => setTimeout(r, 1));
  }
}

const samples: number[] = [];
for (let i = 0; i < ITERATIONS; i++) {
  const runner = spawn(BIN, ["run", experiment, "--quiet"], { env, stdio: "ignore" });
  await waitUntil(() => pids.every((p) => state(p) === "T"), 10_000);
  const start = performance.now();
  const halt = spawn(BIN, ["halt"], { env, stdio: "ignore" });
  await waitUntil(() => pids.every((p) => state(p) !== "T"), 10_000);
  samples.push(performance.now() - start);
  await new Promise((r) => halt.on("close", r));
  await new Promise((r) => runner.on("close", r));
}
for (const v of victims) v.kill("SIGKILL");
samples.sort((a, b) => a - b);
const pct = (p: number) =>
  samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)] ?? 0;
console.log(
  `halt with ${PROCESSES} paused processes, ${ITERATIONS} runs: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms (goal p99 < 100 ms: ${pct(99) < 100 ? "OK" : "OVER"})`,
);
