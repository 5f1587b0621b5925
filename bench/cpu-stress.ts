/**
 * bench/cpu-stress: how well each tool holds one core at a target utilisation, side by side in one run.
 * For each target and background (idle, or another process already burning about half the core),
 * withstand's closed loop (`inject cpu-stress --cores [1]`) and stress-ng's open loop (`taskset -c 1
 * stress-ng --cpu 1 --cpu-load P`) each run for BENCH_SECONDS while an independent sampler reads
 * core 1's line of /proc/stat every second (the first 5 s are the settling time and not counted).
 * Goal: withstand's mean within ±3 points of the target in every row; stress-ng adds its share to
 * what already runs (stress-ng #419), so with a busy core it overshoots.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/withstand", import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const SETTLE = 5;
const CORE = 1;
const dir = mkdtempSync(join(tmpdir(), "withstand-cpu-bench-"));
const env = {
  ...process.env,
  WITHSTAND_STATE_DIR: join(dir, "state"),
  WITHSTAND_STORE: join(dir, "s.db"),
  CI: "true",
};

function coreTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${CORE} `));
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (line ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Samples the core once a second; returns the mean utilisation after the settling time, in percent. */
async function sample(seconds: number): Promise<{ mean: number; min: number; max: number }> {
  const values: number[] = [];
  let last = coreTimes();
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = coreTimes();
    if (s >= SETTLE) values.push((100 * (now.busy - last.busy)) / Math.max(1, now.total - last.total));
    last = now;
  }
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Another process already using about half the core: 5 ms busy, 5 ms asleep. */
function background(): ChildProcess {
  return spawn(
    "taskset",
    [
      "-c",
      String(CORE),
      process.execPath,
      "-e",
      "setInterval(()=>{const t=performance.now()+5;while(performance.now()<t){}},10)",
    ],
    { stdio: "ignore" },
  );
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

async function measure(tool: "withstand" | "stress-ng", target: number, busy: boolean) {
  const bg = busy ? background() : undefined;
  const child =
    tool === "withstand"
      ? spawn(BIN, ["inject", "cpu-stress", "--load", `${target}%`, "--cores", `[${CORE}]`, "--quiet"], {
          env,
          stdio: "ignore",
        })
      : spawn(
          "taskset",
          ["-c", String(CORE), "stress-ng", "--cpu", "1", "--cpu-load", String(target), "--quiet"],
          {
            stdio: "ignore",
          },
        );
  const r = await sample(SECONDS);
  child.kill("SIGINT");
  await stop(child);
  if (bg) await stop(bg);
  return r;
}

try {
  execFileSync("stress-ng", ["--version"], { stdio: "ignore" });
} catch {
  console.error("stress-ng is missing: `make bench` installs it (apt-get install stress-ng)");
  process.exit(2);
}
console.log(`core ${CORE}, ${SECONDS}s per row (first ${SETTLE}s not counted), utilisation from /proc/stat`);
console.log(
  "target  background   withstand mean (min-max)   stress-ng mean (min-max)   |error| withstand / stress-ng",
);
let worst = 0;
for (const target of [50, 80])
  for (const busy of [false, true]) {
    const w = await measure("withstand", target, busy);
    const s = await measure("stress-ng", target, busy);
    const we = Math.abs(w.mean - target);
    const se = Math.abs(s.mean - target);
    worst = Math.max(worst, we);
    const f = (x: { mean: number; min: number; max: number }) =>
      `${x.mean.toFixed(1)}% (${x.min.toFixed(0)}-${x.max.toFixed(0)})`.padEnd(27);
    console.log(
      `${String(target).padStart(5)}%  ${(busy ? "half a core" : "idle").padEnd(12)} ${f(w)}${f(s)}${we.toFixed(1)} / ${se.toFixed(1)} points`,
    );
  }
console.log(`withstand's worst mean error: ${worst.toFixed(1)} points (goal: within 3)`);
