import { readFileSync } from "node:fs";
import { leash, report } from "./leash.js";

/**
 * Burns one core (the one this process is pinned to with taskset) in a closed loop: every 500 ms it
 * reads the core's utilisation from /proc/stat and adjusts its own duty cycle so that the core's
 * TOTAL utilisation holds the target, whatever else runs there (stress-ng's --cpu-load only adds its
 * own share, open loop). `mode: add` burns a fixed share instead.
 * Usage (spawned by the cpu-stress fault): node cpu.js CORE
 */
const core = Number(process.argv[2]);
const PERIOD_MS = 50;
const CONTROL_MS = 500;

function coreTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`cpu${core} `));
  const f = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy on purpose: this is the load.
  }
}

const { go } = leash();
const params = await go;
const target = Math.min(1, Math.max(0, Number(params.load ?? 0)));
const add = params.mode === "add";
let duty = target;
let last = coreTimes();
let nextControl = performance.now() + CONTROL_MS;
for (;;) {
  spin(duty * PERIOD_MS);
  await new Promise((r) => setTimeout(r, Math.max(0, (1 - duty) * PERIOD_MS)));
  if (add || performance.now() < nextControl) continue;
  nextControl += CONTROL_MS;
  const now = coreTimes();
  const total = now.total - last.total;
  if (total > 0) {
    const used = (now.busy - last.busy) / total;
    // Integral control: the core's utilisation moves about one for one with our duty cycle.
    duty = Math.min(1, Math.max(0, duty + 0.6 * (target - used)));
    report({ core, used, duty });
  }
  last = now;
}
