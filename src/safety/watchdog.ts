/**
 * The detached crash watchdog. It outlives a runner that is SIGKILLed and reverts that runner's faults
 * when the runner dies or stops renewing their leases. Usage: watchdog.js STATE_DIR RUN_ID RUNNER_PID STARTTIME
 */
import { sameProcess } from "../platform/processes.js";
import { executeRevert } from "./reverts/index.js";
import { LEASE_MS, listFaults, removeFault, removeRun } from "./state.js";

const [root, runId, pidText, starttimeText] = process.argv.slice(2);
const runner = { pid: Number(pidText), starttime: Number(starttimeText) };
const POLL_MS = 100;

async function sweep(): Promise<boolean> {
  if (!root || !runId) return false;
  // A zombie (exited, not yet reaped by its parent) or a reused pid is a dead runner.
  const runnerAlive = sameProcess(runner);
  for (const { fault, leaseAgeMs } of listFaults(root, runId)) {
    if (runnerAlive && leaseAgeMs < LEASE_MS) continue;
    await executeRevert(fault.revert);
    removeFault(root, fault);
  }
  if (!runnerAlive) removeRun(root, runId);
  return runnerAlive;
}

async function watch(): Promise<void> {
  while (await sweep()) await new Promise((r) => setTimeout(r, POLL_MS));
  process.exit(0);
}
watch().catch(() => process.exit(1));
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => undefined);
